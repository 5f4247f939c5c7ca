import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSalesforceId } from '../src/index.js';
import { authorize, call, CALLBACK, INVALID_GRANT, login, pkcePair, postToken, refresh, SECRET, startWorld, type World } from './helpers.js';

let w: World;
afterEach(async () => w?.emu.close());

describe('token responses are shaped like Salesforce (docs/salesforce.md)', () => {
  beforeEach(async () => {
    w = await startWorld();
  });

  it('authorization_code: exact keys in order, no expires_in, signature over id + issued_at', async () => {
    const body = await login(w);
    expect(Object.keys(body)).toEqual(['access_token', 'refresh_token', 'signature', 'scope', 'instance_url', 'id', 'token_type', 'issued_at']);
    expect(body.token_type).toBe('Bearer');
    expect(body.issued_at).toBe(String(w.emu.clock.now()));
    expect(body.issued_at).toMatch(/^\d{13}$/);
    expect(body.scope).toBe('api refresh_token web id');
    expect(body.instance_url).toBe(w.emu.url);
    expect(body.id).toBe(`${w.emu.url}/id/${w.orgId}/${w.userId}`);
    expect(isSalesforceId(w.orgId) && w.orgId.startsWith('00D') && w.orgId.length === 18).toBe(true);
    expect(isSalesforceId(w.userId) && w.userId.startsWith('005') && w.userId.length === 18).toBe(true);
    expect(body.access_token.startsWith(`${w.orgId.slice(0, 15)}!`)).toBe(true);
    const expected = createHmac('sha256', SECRET).update(body.id + body.issued_at).digest('base64');
    expect(body.signature).toBe(expected);
    expect(body.signature).toHaveLength(44);
  });

  it('the callback carries a base64 code ending in == and the state', async () => {
    const callback = await authorize(w, { state: 'st-1' });
    expect(callback.get('state')).toBe('st-1');
    expect(callback.get('code')).toMatch(/==$/);
  });

  it('refresh without rotation has no refresh_token; with rotation a new one', async () => {
    const first = await login(w);
    const plain = await refresh(w, first.refresh_token);
    expect(plain.status).toBe(200);
    expect(Object.keys(plain.json)).toEqual(['access_token', 'signature', 'scope', 'instance_url', 'id', 'token_type', 'issued_at']);
    w.emu.updateApp(w.clientId, { rotation: true });
    const rotated = await refresh(w, first.refresh_token);
    expect(rotated.json.refresh_token).toMatch(/^5Aep861/);
    expect(rotated.json.refresh_token).not.toBe(first.refresh_token);
  });

  it('answers format=urlencoded and format=xml', async () => {
    const first = await login(w);
    const encoded = await refresh(w, first.refresh_token, { format: 'urlencoded' });
    expect(encoded.headers.get('content-type')).toContain('application/x-www-form-urlencoded');
    expect(new URLSearchParams(encoded.text).get('token_type')).toBe('Bearer');
    const xml = await refresh(w, first.refresh_token, { format: 'xml' });
    expect(xml.text).toMatch(/^<\?xml .*<OAuth><access_token>.*<token_type>Bearer<\/token_type>/);
  });

  it('accepts client credentials in HTTP Basic (form-encoded halves, RFC 6749 §2.3.1)', async () => {
    const first = await login(w);
    const basic = Buffer.from(`${w.clientId}:${encodeURIComponent(SECRET)}`).toString('base64');
    const res = await postToken(w.emu, { grant_type: 'refresh_token', refresh_token: first.refresh_token }, { authorization: `Basic ${basic}` });
    expect(res.status).toBe(200);
    const wrong = Buffer.from(`${w.clientId}:nope`).toString('base64');
    const bad = await postToken(w.emu, { grant_type: 'refresh_token', refresh_token: first.refresh_token }, { authorization: `Basic ${wrong}` });
    expect(bad.json).toEqual({ error: 'invalid_client', error_description: 'invalid client credentials' });
  });

  it('ignores unknown extra parameters such as code_verifier on refresh (jsforce sends it)', async () => {
    const first = await login(w);
    const res = await refresh(w, first.refresh_token, { code_verifier: 'x'.repeat(50), format: 'json' });
    expect(res.status).toBe(200);
  });
});

describe('token endpoint errors (docs/salesforce.md, order client_id → secret → grant → policy)', () => {
  beforeEach(async () => {
    w = await startWorld();
  });

  it('is form-encoded only', async () => {
    const res = await call(`${w.emu.url}/services/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'refresh_token', client_id: w.clientId }),
    });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error: 'unsupported_grant_type', error_description: 'grant type not supported' });
    expect(res.headers.get('content-type')).toBe('application/json;charset=UTF-8');
    expect(res.headers.get('www-authenticate')).toBeNull();
  });

  it('rejects a missing or unknown grant_type', async () => {
    for (const grant of [undefined, 'password_x']) {
      const res = await postToken(w.emu, { grant_type: grant, client_id: w.clientId });
      expect(res.json).toEqual({ error: 'unsupported_grant_type', error_description: 'grant type not supported' });
    }
  });

  it('GET is invalid_request', async () => {
    const res = await call(`${w.emu.url}/services/oauth2/token?grant_type=refresh_token`);
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error: 'invalid_request', error_description: 'must use HTTP POST' });
  });

  it('checks client_id before the secret, the secret before the grant, the grant before the user', async () => {
    const first = await login(w);
    w.emu.deactivateUser(w.userId);
    const badClient = await postToken(w.emu, { grant_type: 'refresh_token', refresh_token: 'bogus', client_id: 'nope', client_secret: 'nope' });
    expect(badClient).toMatchObject({ status: 400, json: { error: 'invalid_client_id', error_description: 'client identifier invalid' } });
    const badSecret = await postToken(w.emu, { grant_type: 'refresh_token', refresh_token: 'bogus', client_id: w.clientId, client_secret: 'nope' });
    expect(badSecret).toMatchObject({ status: 400, json: { error: 'invalid_client', error_description: 'invalid client credentials' } });
    const missingSecret = await postToken(w.emu, { grant_type: 'refresh_token', refresh_token: first.refresh_token, client_id: w.clientId });
    expect(missingSecret.json).toEqual({ error: 'invalid_client', error_description: 'invalid client credentials' });
    const badGrant = await refresh(w, 'bogus');
    expect(badGrant).toMatchObject({ status: 400, json: INVALID_GRANT('expired access/refresh token') });
    const inactive = await refresh(w, first.refresh_token);
    expect(inactive).toMatchObject({ status: 400, json: INVALID_GRANT('inactive user') });
  });

  it('a refresh without the secret works when requireSecretForRefresh is off', async () => {
    const first = await login(w);
    w.emu.updateApp(w.clientId, { requireSecretForRefresh: false });
    const res = await postToken(w.emu, { grant_type: 'refresh_token', refresh_token: first.refresh_token, client_id: w.clientId });
    expect(res.status).toBe(200);
  });

  it('an authorization code is single use (expired authorization code)', async () => {
    const code = (await authorize(w)).get('code')!;
    const params = { grant_type: 'authorization_code', code, client_id: w.clientId, client_secret: SECRET, redirect_uri: CALLBACK };
    expect((await postToken(w.emu, params)).status).toBe(200);
    const again = await postToken(w.emu, params);
    expect(again).toMatchObject({ status: 400, json: INVALID_GRANT('expired authorization code') });
  });

  it('an authorization code expires after codeLifetimeS on the emulator clock', async () => {
    const code = (await authorize(w)).get('code')!;
    w.emu.clock.advance(900_000);
    const res = await postToken(w.emu, { grant_type: 'authorization_code', code, client_id: w.clientId, client_secret: SECRET, redirect_uri: CALLBACK });
    expect(res.json).toEqual(INVALID_GRANT('expired authorization code'));
  });

  it('a different redirect_uri is redirect_uri_mismatch', async () => {
    const code = (await authorize(w)).get('code')!;
    const res = await postToken(w.emu, { grant_type: 'authorization_code', code, client_id: w.clientId, client_secret: SECRET, redirect_uri: 'http://127.0.0.1:9/other' });
    expect(res.json).toEqual({ error: 'redirect_uri_mismatch', error_description: 'redirect_uri must match configuration' });
  });

  it('PKCE: a missing or wrong verifier is invalid_grant / invalid code verifier; S256 and plain both work', async () => {
    const { verifier, challenge } = pkcePair();
    const exchange = (code: string, code_verifier?: string) =>
      postToken(w.emu, { grant_type: 'authorization_code', code, client_id: w.clientId, client_secret: SECRET, redirect_uri: CALLBACK, code_verifier });
    const c1 = (await authorize(w, { code_challenge: challenge, code_challenge_method: 'S256' })).get('code')!;
    expect((await exchange(c1)).json).toEqual(INVALID_GRANT('invalid code verifier'));
    expect((await exchange(c1, pkcePair().verifier)).json).toEqual(INVALID_GRANT('invalid code verifier'));
    expect((await exchange(c1, verifier)).status).toBe(200);
    // No method sent: Salesforce assumes S256 (jsforce never sends the method).
    const c2 = (await authorize(w, { code_challenge: challenge })).get('code')!;
    expect((await exchange(c2, verifier)).status).toBe(200);
    const c3 = (await authorize(w, { code_challenge: verifier, code_challenge_method: 'plain' })).get('code')!;
    expect((await exchange(c3, verifier)).status).toBe(200);
  });

  it('rejectTildeInVerifier refuses a verifier with ~ (a Salesforce quirk, docs/salesforce.md)', async () => {
    w.emu.updateApp(w.clientId, { rejectTildeInVerifier: true });
    const verifier = `${'a'.repeat(50)}~`;
    const code = (await authorize(w, { code_challenge: verifier, code_challenge_method: 'plain' })).get('code')!;
    const res = await postToken(w.emu, { grant_type: 'authorization_code', code, client_id: w.clientId, client_secret: SECRET, redirect_uri: CALLBACK, code_verifier: verifier });
    expect(res.json).toEqual(INVALID_GRANT('invalid code verifier'));
  });

  it('legacyErrorCodes switches to inactive_user / inactive_org', async () => {
    const first = await login(w);
    w.emu.updateApp(w.clientId, { legacyErrorCodes: true });
    w.emu.deactivateUser(w.userId);
    expect((await refresh(w, first.refresh_token)).json).toEqual({ error: 'inactive_user', error_description: 'user is inactive' });
    w.emu.reactivateUser(w.userId);
    w.emu.lockOrg(w.orgId);
    expect((await refresh(w, first.refresh_token)).json).toEqual({ error: 'inactive_org', error_description: 'organization is locked, closed, or suspended' });
  });

  it('never answers a malformed token request with a 5xx', async () => {
    const first = await login(w);
    const values = fc.oneof(fc.string(), fc.constantFrom(w.clientId, SECRET, first.refresh_token, 'refresh_token', 'authorization_code', '%', '%zz', '\u0000'));
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.constantFrom('grant_type', 'client_id', 'client_secret', 'refresh_token', 'code', 'redirect_uri', 'code_verifier', 'format', 'x'), values),
        fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/plain', ''),
        fc.boolean(),
        async (params, contentType, raw) => {
          const body = raw ? Object.entries(params).map(([k, v]) => `${k}=${v}`).join('&') : new URLSearchParams(params).toString();
          const res = await call(`${w.emu.url}/services/oauth2/token`, { method: 'POST', headers: contentType ? { 'content-type': contentType } : {}, body });
          expect(res.status).toBeLessThan(500);
          if (res.status !== 200) expect(Object.keys(res.json)).toEqual(['error', 'error_description']);
        },
      ),
      { numRuns: 150 },
    );
  });
});
