import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { login, SECRET, startWorld, type World } from './helpers.js';

/** Provider-style revocation endpoints (addRevocationEndpoint): any request shape, recorded by name. */

let w: World;
beforeEach(async () => {
  w = await startWorld({ mode: 'generic' });
});
afterEach(async () => w.emu.close());

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

describe('provider revocation endpoints', () => {
  it('a token in the path ends the family, and the log names the place, never the value', async () => {
    w.emu.addRevocationEndpoint({ method: 'DELETE', path: '/oauth/v1/refresh-tokens/:token' });
    const t = await login(w);
    const res = await fetch(`${w.emu.url}/oauth/v1/refresh-tokens/${encodeURIComponent(t.refresh_token)}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, revoked: true });
    expect(w.emu.refreshTokenStatus(t.refresh_token).status).toBe('revoked');
    const seen = w.emu.requestLog({ endpoint: 'revoke' }).at(-1)!;
    expect(seen.revocation).toEqual({ token_in: 'path', token_kind: 'refresh_token', client_auth: 'none', content: 'none', fields: [] });
    expect(JSON.stringify(w.emu.requestLog())).not.toContain(t.refresh_token);
    expect(seen.path).toBe('/oauth/v1/refresh-tokens/:token');
    expect((await fetch(`${w.emu.url}/oauth/v1/refresh-tokens/%E0%A4%A`, { method: 'DELETE' })).status).toBe(401);
    // Dead now: the same request is refused.
    expect((await fetch(`${w.emu.url}/oauth/v1/refresh-tokens/${encodeURIComponent(t.refresh_token)}`, { method: 'DELETE' })).status).toBe(401);
  });

  it('checks HTTP Basic client credentials against the token\'s app, with the access token in a JSON body', async () => {
    w.emu.addRevocationEndpoint({ method: 'DELETE', path: `/applications/${w.clientId}/grant` });
    const t = await login(w);
    const send = (secret: string) =>
      fetch(`${w.emu.url}/applications/${w.clientId}/grant`, {
        method: 'DELETE',
        headers: { authorization: basic(w.clientId, secret), 'content-type': 'application/json' },
        body: JSON.stringify({ access_token: t.access_token }),
      });
    const wrong = await send('not-the-secret');
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'invalid_client' });
    expect(w.emu.refreshTokenStatus(t.refresh_token).status).toBe('current');
    expect((await send(SECRET)).status).toBe(200);
    expect(w.emu.requestLog({ endpoint: 'revoke' }).at(-1)!.revocation).toMatchObject({
      token_in: 'body', token_field: 'access_token', token_kind: 'access_token', client_auth: 'basic', content: 'json',
    });
    expect(w.emu.refreshTokenStatus(t.refresh_token).status).toBe('revoked');
  });

  it('reads a `<scheme> <secret>` header with the client id in the body, and a Bearer token', async () => {
    w.emu.addRevocationEndpoint({ method: 'POST', path: '/oauth2/revoke' });
    const t = await login(w);
    const res = await fetch(`${w.emu.url}/oauth2/revoke`, {
      method: 'POST',
      headers: { authorization: `Client ${SECRET}`, 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: w.clientId, access_token: t.access_token }),
    });
    expect(res.status).toBe(200);
    expect(w.emu.requestLog({ endpoint: 'revoke' }).at(-1)!.revocation).toMatchObject({ client_auth: 'header:Client', client_id_field: 'client_id', token_field: 'access_token' });

    w.emu.addRevocationEndpoint({ method: 'POST', path: '/api/auth.revoke' });
    const u = await login(w);
    expect((await fetch(`${w.emu.url}/api/auth.revoke`, { method: 'POST', headers: { authorization: `Bearer ${u.access_token}` } })).status).toBe(200);
    expect(w.emu.requestLog({ endpoint: 'revoke' }).at(-1)!.revocation).toMatchObject({ token_in: 'bearer', token_kind: 'access_token' });
    expect((await fetch(`${w.emu.url}/api/auth.revoke`, { method: 'POST', headers: { authorization: 'Bearer nope' } })).status).toBe(401);
  });
});
