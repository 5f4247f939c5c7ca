// The app's Refresh Token IP Allowlist, judged by the TCP source address: requests bound to
// 127.0.0.2 and 127.0.0.1 (both loopback, distinct sources) over real HTTP.
import http from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authorize, CALLBACK, call, form, login, SECRET, startWorld, type Wire, type World } from './helpers.js';

let w: World;
beforeEach(async () => {
  w = await startWorld();
});
afterEach(async () => w?.emu.close());

/** POST to the token endpoint from a chosen local address. */
function tokenFrom(localAddress: string, params: Record<string, string>, headers: Record<string, string> = {}): Promise<Wire> {
  const payload = form(params).toString();
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${w.emu.url}/services/oauth2/token`,
      { method: 'POST', localAddress, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(payload)), ...headers } },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: new Headers(), text, json: JSON.parse(text) as unknown }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const refreshParams = (refreshToken: string) => ({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: w.clientId, client_secret: SECRET });

describe('Refresh Token IP Allowlist', () => {
  it('refuses refreshes from outside the list with the default answer, and changes nothing', async () => {
    const tokens = await login(w);
    const view = w.emu.setRefreshTokenIpAllowlist(w.clientId, ['127.0.0.2']);
    expect(view.refresh_token_ip_allowlist).toEqual({
      ranges: [{ start: '127.0.0.2', end: '127.0.0.2' }],
      error: { status: 400, error: 'invalid_grant', error_description: 'ip restricted by app developer' },
    });

    const blocked = await tokenFrom('127.0.0.1', refreshParams(tokens.refresh_token!));
    expect(blocked.status).toBe(400);
    expect(blocked.json).toEqual({ error: 'invalid_grant', error_description: 'ip restricted by app developer' });
    // The header that overrides the client IP for org restrictions does not fool the allowlist.
    const spoofed = await tokenFrom('127.0.0.1', refreshParams(tokens.refresh_token!), { 'x-emulator-client-ip': '127.0.0.2' });
    expect(spoofed.status).toBe(400);
    expect(w.emu.stats().refresh_ip_blocked).toBe(2);
    expect(w.emu.stats().refreshes).toBe(0);
    expect(w.emu.refreshTokenStatus(tokens.refresh_token!).status).toBe('current');

    const allowed = await tokenFrom('127.0.0.2', refreshParams(tokens.refresh_token!));
    expect(allowed.status).toBe(200);
    expect(w.emu.stats().refreshes).toBe(1);
    const log = w.emu.requestLog({ endpoint: 'token' }).slice(-3);
    expect(log.map((e) => [e.source_ip, e.status])).toEqual([['127.0.0.1', 400], ['127.0.0.1', 400], ['127.0.0.2', 200]]);
  });

  it('covers the code exchange too, and ranges, a custom answer and switching it off work', async () => {
    w.emu.setRefreshTokenIpAllowlist(w.clientId, [{ start: '127.0.0.2', end: '127.0.0.9' }], { error: { error: 'invalid_grant', error_description: 'IP restricted or invalid login hours' } });
    const code = (await authorize(w)).get('code')!;
    const exchange = { grant_type: 'authorization_code', code, client_id: w.clientId, client_secret: SECRET, redirect_uri: CALLBACK };
    const blocked = await tokenFrom('127.0.0.1', exchange);
    expect(blocked.json).toEqual({ error: 'invalid_grant', error_description: 'IP restricted or invalid login hours' });
    // The code was not used up by the refused attempt.
    expect((await tokenFrom('127.0.0.5', exchange)).status).toBe(200);

    w.emu.setRefreshTokenIpAllowlist(w.clientId, null);
    expect(w.emu.getApp(w.clientId)!.refresh_token_ip_allowlist).toBeNull();
    expect((await login(w)).access_token).toBeTruthy();
  });

  it('is on the control API, where bad input is a 400 and an unknown app a 404', async () => {
    const path = (id: string) => `${w.emu.url}/__emulator/apps/${id}/refresh-token-ip-allowlist`;
    const post = (id: string, body: unknown) => call(path(id), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const ok = await post(w.clientId, { enabled: true, allowed_ips: ['127.0.0.2', '::1'] });
    expect(ok.status).toBe(200);
    expect((ok.json as { refresh_token_ip_allowlist: { ranges: unknown[] } }).refresh_token_ip_allowlist.ranges).toEqual([
      { start: '127.0.0.2', end: '127.0.0.2' },
      { start: '::1', end: '::1' },
    ]);
    for (const bad of [{ ranges: 'x' }, { ranges: [{ start: '127.0.0.9', end: '127.0.0.2' }] }, { ranges: [{ start: '10.0.0.0', end: '10.0.1.0' }] }, { allowed_ips: ['nope'] }, { allowed_ips: ['127.0.0.2'], error: { error: 1 } }]) {
      expect((await post(w.clientId, bad)).status, JSON.stringify(bad)).toBe(400);
    }
    expect((await post('no-such-app', { allowed_ips: ['127.0.0.2'] })).status).toBe(404);
    expect((await post(w.clientId, { enabled: false })).status).toBe(200);
    expect(w.emu.getApp(w.clientId)!.refresh_token_ip_allowlist).toBeNull();
  });
});
