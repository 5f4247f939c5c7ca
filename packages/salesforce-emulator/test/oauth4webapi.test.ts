import * as oauth from 'oauth4webapi';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, CALLBACK, SECRET, startWorld, type World } from './helpers.js';

/** Conformance with oauth4webapi 3 (a standards-strict client): discovery, PKCE, refresh, revoke, introspect. */

let w: World;
let as: oauth.AuthorizationServer;
const insecure = { [oauth.allowInsecureRequests]: true } as const;
let client: oauth.Client;

beforeEach(async () => {
  // A real-time clock: oauth4webapi checks id_token iat/exp against the wall clock.
  w = await startWorld({}, { clock: {} });
  const issuer = new URL(w.emu.url);
  as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
  client = { client_id: w.clientId };
});
afterEach(async () => w.emu.close());

async function codeGrant(auth: oauth.ClientAuth, scope = 'api refresh_token', nonce?: string): Promise<oauth.TokenEndpointResponse> {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint!);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: w.clientId,
    redirect_uri: CALLBACK,
    scope,
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    login_hint: w.username,
    ...(nonce ? { nonce } : {}),
  }).toString();
  const res = await call(url.href, { headers: { 'x-emulator-auto-approve': 'allow' } });
  const params = oauth.validateAuthResponse(as, client, new URL(res.headers.get('location')!), state);
  const response = await oauth.authorizationCodeGrantRequest(as, client, auth, params, CALLBACK, verifier, insecure);
  return oauth.processAuthorizationCodeResponse(as, client, response, nonce ? { expectedNonce: nonce } : {});
}

describe('oauth4webapi', () => {
  it('discovers the endpoints', () => {
    expect(as.token_endpoint).toBe(`${w.emu.url}/services/oauth2/token`);
    expect(as.revocation_endpoint).toBe(`${w.emu.url}/services/oauth2/revoke`);
    expect(as.introspection_endpoint).toBe(`${w.emu.url}/services/oauth2/introspect`);
  });

  it('PKCE code exchange with client_secret_post and client_secret_basic', async () => {
    const post = await codeGrant(oauth.ClientSecretPost(SECRET));
    expect(post.token_type).toBe('bearer');
    expect(post.expires_in).toBeUndefined();
    expect(post.refresh_token).toBeTruthy();
    const basic = await codeGrant(oauth.ClientSecretBasic(SECRET));
    expect(basic.access_token).toBeTruthy();
  });

  it('validates the id_token when openid is requested', async () => {
    const nonce = oauth.generateRandomNonce();
    const result = await codeGrant(oauth.ClientSecretPost(SECRET), 'openid api refresh_token', nonce);
    const claims = oauth.getValidatedIdTokenClaims(result)!;
    expect(claims.aud).toBe(w.clientId);
    expect(claims.nonce).toBe(nonce);
  });

  it('refresh, then a Salesforce invalid_grant surfaces as a ResponseBodyError', async () => {
    const auth = oauth.ClientSecretPost(SECRET);
    const first = await codeGrant(auth);
    const refreshed = await oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, auth, first.refresh_token!, insecure));
    expect(refreshed.access_token).not.toBe(first.access_token);
    w.emu.deactivateUser(w.userId);
    const failed = oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, auth, first.refresh_token!, insecure));
    await expect(failed).rejects.toMatchObject({ error: 'invalid_grant', error_description: 'inactive user', status: 400 });
  });

  it('introspection and revocation', async () => {
    const auth = oauth.ClientSecretBasic(SECRET);
    const tokens = await codeGrant(auth);
    const live = await oauth.processIntrospectionResponse(as, client, await oauth.introspectionRequest(as, client, auth, tokens.access_token, insecure));
    expect(live).toMatchObject({ active: true, client_id: w.clientId, username: w.username, token_type: 'access_token' });
    await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, auth, tokens.refresh_token!, insecure));
    const dead = await oauth.processIntrospectionResponse(as, client, await oauth.introspectionRequest(as, client, auth, tokens.access_token, insecure));
    expect(dead).toEqual({ active: false });
  });
});
