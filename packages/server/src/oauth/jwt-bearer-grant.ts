// The JWT Bearer grant (RFC 7523 §2.1): a short-lived assertion signed with the integration's
// key says which user the token is for. Signed with jose, sent with oauth4webapi's generic
// grant request; each mint signs a fresh assertion (a jti is single-use at some servers).
import { SignJWT } from 'jose';
import * as oauth from 'oauth4webapi';
import type { OAuthClient } from './client.js';
import { failureFromException } from './failure.js';
import { readTokenResponse, type TokenOutcome } from './refresh-grant.js';

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** At most 3 minutes between now and `exp`: the strictest limit a provider documents (docs/api.md); RFC 7523 asks for a short one. */
export const ASSERTION_LIFETIME_S = 180;

export interface AssertionClaims {
  issuer: string;
  subject: string;
  audience: string;
}

export async function signAssertion(key: oauth.CryptoKey, claims: AssertionClaims, now = new Date()): Promise<string> {
  const iat = Math.floor(now.getTime() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'RS256' })
    .setIssuer(claims.issuer)
    .setSubject(claims.subject)
    .setAudience(claims.audience)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ASSERTION_LIFETIME_S)
    .setJti(crypto.randomUUID())
    .sign(key);
}

export async function jwtBearerGrant(
  client: OAuthClient,
  assertion: { key: oauth.CryptoKey; claims: AssertionClaims },
  extra: { params?: Record<string, string> } = {},
): Promise<TokenOutcome> {
  let response: Response;
  try {
    const parameters = new URLSearchParams(extra.params ?? {});
    parameters.set('assertion', await signAssertion(assertion.key, assertion.claims));
    response = await oauth.genericTokenEndpointRequest(client.as, client.client, client.auth, JWT_BEARER, parameters, client.options);
  } catch (error) {
    return { ok: false, failure: failureFromException(error, 'jwt_bearer') };
  }
  return readTokenResponse(client, response, 'jwt_bearer');
}
