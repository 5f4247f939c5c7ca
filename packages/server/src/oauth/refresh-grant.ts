// The refresh_token grant: one POST to the token endpoint, its answer validated, every
// outcome reduced to a token response or a ProviderFailure.
import * as oauth from 'oauth4webapi';
import type { GrantType, ProviderFailure } from '../providers/classify.js';
import type { OAuthClient } from './client.js';
import { failureFromException, failureFromResponse } from './failure.js';

export interface TokenSuccess {
  ok: true;
  /** The response body as sent (validated to carry an access_token). */
  body: Record<string, unknown>;
  receivedAt: Date;
  /** Set when the body passed our minimum checks but not oauth4webapi's (kept, and alerted). */
  nonConformant: string | null;
}

export interface TokenFailure {
  ok: false;
  failure: ProviderFailure;
}

export type TokenOutcome = TokenSuccess | TokenFailure;

export async function refreshGrant(
  client: OAuthClient,
  refreshToken: string,
  extra: { scopes?: string[]; params?: Record<string, string> } = {},
): Promise<TokenOutcome> {
  let response: Response;
  try {
    const additionalParameters = new URLSearchParams(extra.params ?? {});
    response = await oauth.refreshTokenGrantRequest(client.as, client.client, client.auth, refreshToken, {
      ...client.options,
      additionalParameters,
    });
  } catch (error) {
    return { ok: false, failure: failureFromException(error, 'refresh_token') };
  }
  return readTokenResponse(client, response, 'refresh_token');
}

/**
 * A 200 is read by oauth4webapi; if it refuses a body that still carries an access token
 * (a non-conformant provider), the body is used anyway — dropping it could drop a rotated
 * refresh token — and flagged so an operator hears of it.
 */
export async function readTokenResponse(client: OAuthClient, response: Response, grantType: GrantType): Promise<TokenOutcome> {
  const receivedAt = new Date();
  if (response.status !== 200) return { ok: false, failure: await failureFromResponse(response, grantType) };
  const text = await response.clone().text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return {
      ok: false,
      failure: { kind: 'http_error', grantType, httpStatus: 200, error: null, errorDescription: null, bodyWasJson: false, requestSent: true },
    };
  }
  if (typeof body !== 'object' || body === null || typeof body.access_token !== 'string' || body.access_token === '') {
    return {
      ok: false,
      failure: {
        kind: typeof body?.error === 'string' ? 'oauth_error' : 'http_error',
        grantType,
        httpStatus: 200,
        error: typeof body?.error === 'string' ? (body.error as string) : null,
        errorDescription: typeof body?.error_description === 'string' ? (body.error_description as string) : null,
        bodyWasJson: true,
        requestSent: true,
      },
    };
  }
  let nonConformant: string | null = null;
  try {
    if (grantType === 'refresh_token') await oauth.processRefreshTokenResponse(client.as, client.client, response);
    else if (grantType === 'client_credentials') await oauth.processClientCredentialsResponse(client.as, client.client, response);
    else if (grantType === 'jwt_bearer') await oauth.processGenericTokenEndpointResponse(client.as, client.client, response);
  } catch (error) {
    nonConformant = error instanceof Error ? error.message : String(error);
  }
  return { ok: true, body, receivedAt, nonConformant };
}
