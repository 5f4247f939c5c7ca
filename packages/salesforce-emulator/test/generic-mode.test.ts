import * as oauth from 'oauth4webapi';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, form, login, postToken, refresh, restCall, SECRET, startWorld, type World } from './helpers.js';

/** Generic OAuth 2.0 mode (per app): RFC 6749 shapes, expires_in, rotation and idle lifetime as switches. */

let w: World;
beforeEach(async () => {
  w = await startWorld({ mode: 'generic', accessTokenTtlS: 600 });
});
afterEach(async () => w.emu.close());

describe('generic mode', () => {
  it('token responses follow RFC 6749 §5.1 with expires_in', async () => {
    const t = await login(w);
    expect(Object.keys(t)).toEqual(['access_token', 'token_type', 'expires_in', 'refresh_token', 'scope']);
    expect(t).toMatchObject({ token_type: 'Bearer', expires_in: 600, scope: 'api refresh_token web id' });
    const r = await refresh(w, t.refresh_token!);
    expect(Object.keys(r.json)).toEqual(['access_token', 'token_type', 'expires_in', 'scope']);
  });

  it('token responses carry an app’s extra fields (never in place of the standard ones), also at a provider’s own token path', async () => {
    w.emu.updateApp(w.clientId, { tokenResponseFields: { api_domain: 'https://acme.example.com', access_token: 'not-this' } });
    const t = await login(w);
    expect(t.api_domain).toBe('https://acme.example.com');
    expect(t.access_token).not.toBe('not-this');
    w.emu.addTokenEndpoint('/oauth/token');
    const r = await postToken(w.emu, { grant_type: 'refresh_token', refresh_token: t.refresh_token!, client_id: w.clientId, client_secret: SECRET }, {}, '/oauth/token');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ api_domain: 'https://acme.example.com', token_type: 'Bearer', expires_in: 600 });
    expect(w.emu.requestLog({ endpoint: 'token' }).at(-1)!.grant_type).toBe('refresh_token');
    expect(() => w.emu.updateApp(w.clientId, { tokenResponseFields: { n: 1 } as unknown as Record<string, string> })).toThrow(/token_response_fields/);
  });

  it('access tokens live exactly accessTokenTtlS, activity does not extend them', async () => {
    const t = await login(w);
    w.emu.clock.advance(599_000);
    expect((await restCall(w, t.access_token!)).status).toBe(200);
    w.emu.clock.advance(1_000);
    expect((await restCall(w, t.access_token!)).status).toBe(401);
  });

  it('rotation and idle lifetime are switches; reuse revokes the family', async () => {
    w.emu.updateApp(w.clientId, { rotation: true, refreshTokenPolicy: { idle_s: 60 } });
    const t = await login(w);
    const r1 = (await refresh(w, t.refresh_token!)).json;
    expect(r1.refresh_token).toBeTruthy();
    const reuse = await refresh(w, t.refresh_token!);
    expect(reuse).toMatchObject({ status: 400, json: { error: 'invalid_grant', error_description: 'the refresh token is invalid, expired or revoked' } });
    expect((await refresh(w, r1.refresh_token)).status).toBe(400);
    const fresh = await login(w);
    w.emu.clock.advance(60_000);
    expect((await refresh(w, fresh.refresh_token!)).json.error).toBe('invalid_grant');
  });

  it('bad client authentication is 401 invalid_client, with WWW-Authenticate after Basic', async () => {
    const unknown = await postToken(w.emu, { grant_type: 'refresh_token', refresh_token: 'x', client_id: 'nobody' }, {}, '/oauth2/token');
    expect(unknown).toMatchObject({ status: 401, json: { error: 'invalid_client' } });
    const basic = Buffer.from(`${w.clientId}:wrong`).toString('base64');
    const bad = await postToken(w.emu, { grant_type: 'refresh_token', refresh_token: 'x' }, { authorization: `Basic ${basic}` });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toBe('Basic realm="oauth"');
    // The Salesforce path keeps Salesforce shapes for clients it does not know.
    const sf = await postToken(w.emu, { grant_type: 'refresh_token', refresh_token: 'x', client_id: 'nobody' });
    expect(sf).toMatchObject({ status: 400, json: { error: 'invalid_client_id', error_description: 'client identifier invalid' } });
  });

  it('revocation answers 200 even for an unknown token (RFC 7009 §2.2)', async () => {
    const res = await call(`${w.emu.url}/oauth2/revoke`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form({ token: 'unknown' }) });
    expect(res.status).toBe(200);
    const t = await login(w);
    await call(`${w.emu.url}/oauth2/revoke`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form({ token: t.refresh_token }) });
    expect((await refresh(w, t.refresh_token!)).status).toBe(400);
  });

  it('works with oauth4webapi through RFC 8414 metadata', async () => {
    const issuer = new URL(w.emu.url);
    const insecure = { [oauth.allowInsecureRequests]: true } as const;
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
    expect(as.token_endpoint).toBe(`${w.emu.url}/oauth2/token`);
    const client = { client_id: w.clientId };
    const t = await login(w);
    const res = await oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, oauth.ClientSecretBasic(SECRET), t.refresh_token!, insecure));
    expect(res.expires_in).toBe(600);
  });
});
