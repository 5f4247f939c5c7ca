import { afterEach, describe, expect, it } from 'vitest';
import { INVALID_GRANT, login, refresh, restCall, startWorld, type World } from './helpers.js';

/** One test per switch, each asserting the exact wire answer (docs/salesforce.md). */

let w: World;
afterEach(async () => w?.emu.close());

const HOUR = 3_600_000;

describe('refresh-token policy (docs/salesforce.md)', () => {
  it('until_revoked: still valid a year later', async () => {
    w = await startWorld();
    const t = await login(w);
    w.emu.clock.advance(365 * 24 * HOUR);
    expect((await refresh(w, t.refresh_token)).status).toBe(200);
  });

  it('immediate: a refresh_token is returned but any use fails', async () => {
    w = await startWorld({ refreshTokenPolicy: 'immediate' });
    const t = await login(w);
    expect(t.refresh_token).toBeTruthy();
    expect((await refresh(w, t.refresh_token)).json).toEqual(INVALID_GRANT('expired access/refresh token'));
  });

  it('idle_s: expires when unused for N seconds; every use slides the window', async () => {
    w = await startWorld({ refreshTokenPolicy: { idle_s: 3600 } });
    const t = await login(w);
    w.emu.clock.advance(HOUR - 1);
    expect((await refresh(w, t.refresh_token)).status).toBe(200);
    w.emu.clock.advance(HOUR - 1);
    expect((await refresh(w, t.refresh_token)).status).toBe(200);
    w.emu.clock.advance(HOUR);
    expect((await refresh(w, t.refresh_token)).json).toEqual(INVALID_GRANT('expired access/refresh token'));
  });

  it('lifetime_s: absolute from the approval, answers token validity expired', async () => {
    w = await startWorld({ refreshTokenPolicy: { lifetime_s: 7200 } });
    const t = await login(w);
    w.emu.clock.advance(HOUR);
    expect((await refresh(w, t.refresh_token)).status).toBe(200);
    w.emu.clock.advance(HOUR);
    const res = await refresh(w, t.refresh_token);
    expect(res).toMatchObject({ status: 400, json: INVALID_GRANT('token validity expired') });
  });

  it('idleTtlLimitS turns "until revoked" into an idle window', async () => {
    w = await startWorld({ idleTtlLimitS: 30 * 24 * 3600 });
    const t = await login(w);
    w.emu.clock.advance(30 * 24 * HOUR);
    expect((await refresh(w, t.refresh_token)).json).toEqual(INVALID_GRANT('expired access/refresh token'));
  });
});

describe('rotation (docs/salesforce.md)', () => {
  it('reusing a rotated-out token revokes the whole family, access tokens included', async () => {
    w = await startWorld({ rotation: true });
    const t = await login(w);
    const r1 = (await refresh(w, t.refresh_token)).json;
    const r2 = (await refresh(w, r1.refresh_token)).json;
    expect(w.emu.currentRefreshToken(t.refresh_token)).toBe(r2.refresh_token);
    expect(w.emu.refreshTokenStatus(t.refresh_token).status).toBe('retired');
    expect((await restCall(w, r2.access_token)).status).toBe(200);

    const reuse = await refresh(w, r1.refresh_token);
    expect(reuse).toMatchObject({ status: 400, json: INVALID_GRANT('expired access/refresh token') });
    expect((await refresh(w, r2.refresh_token)).json).toEqual(INVALID_GRANT('expired access/refresh token'));
    const rest = await restCall(w, r2.access_token);
    expect(rest.status).toBe(401);
    expect(rest.json).toEqual([{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
    expect(w.emu.stats().reuse_detections).toBe(1);
    expect(w.emu.refreshTokenStatus(r2.refresh_token).status).toBe('revoked');
    expect(w.emu.currentRefreshToken(r2.refresh_token)).toBeNull();
  });

  it('rotationGraceMs accepts the previous token for a while', async () => {
    w = await startWorld({ rotation: true, rotationGraceMs: 10_000 });
    const t = await login(w);
    await refresh(w, t.refresh_token);
    w.emu.clock.advance(5_000);
    expect((await refresh(w, t.refresh_token)).status).toBe(200);
    w.emu.clock.advance(10_000);
    expect((await refresh(w, t.refresh_token)).json).toEqual(INVALID_GRANT('expired access/refresh token'));
  });
});

describe('approval limit (docs/salesforce.md)', () => {
  it('the sixth approval evicts the oldest by default', async () => {
    w = await startWorld();
    const grants = [];
    for (let i = 0; i < 6; i++) {
      grants.push(await login(w));
      w.emu.clock.advance(1000);
    }
    expect((await refresh(w, grants[0]!.refresh_token)).json).toEqual(INVALID_GRANT('expired access/refresh token'));
    for (const g of grants.slice(1)) expect((await refresh(w, g.refresh_token)).status).toBe(200);
    expect(w.emu.approvals({ userId: w.userId, clientId: w.clientId })).toHaveLength(5);
    expect(w.emu.stats().evictions).toBe(1);
  });

  it("approvalEviction 'lru' evicts the least recently used one; maxApprovals is configurable", async () => {
    w = await startWorld({ approvalEviction: 'lru', maxApprovals: 3 });
    const a = await login(w);
    w.emu.clock.advance(1000);
    const b = await login(w);
    w.emu.clock.advance(1000);
    const c = await login(w);
    w.emu.clock.advance(1000);
    await refresh(w, a.refresh_token); // a is now the most recently used
    w.emu.clock.advance(1000);
    await login(w);
    expect((await refresh(w, b.refresh_token)).json).toEqual(INVALID_GRANT('expired access/refresh token'));
    expect((await refresh(w, a.refresh_token)).status).toBe(200);
    expect((await refresh(w, c.refresh_token)).status).toBe(200);
  });
});

describe('user and org state (docs/salesforce.md)', () => {
  it('password change: default authentication failure; new grants work', async () => {
    w = await startWorld();
    const t = await login(w);
    w.emu.changePassword(w.userId);
    expect((await refresh(w, t.refresh_token)).json).toEqual(INVALID_GRANT('authentication failure'));
    const fresh = await login(w);
    expect((await refresh(w, fresh.refresh_token)).status).toBe(200);
  });

  it("password change 'revoke_all' kills every family; 'no_effect' leaves them", async () => {
    w = await startWorld({ passwordChange: 'revoke_all' });
    const t = await login(w);
    w.emu.changePassword(w.userId);
    expect((await refresh(w, t.refresh_token)).json).toEqual(INVALID_GRANT('expired access/refresh token'));
    expect((await restCall(w, t.access_token)).status).toBe(401);
    w.emu.updateApp(w.clientId, { passwordChange: 'no_effect' });
    const u = await login(w);
    w.emu.changePassword(w.userId);
    expect((await refresh(w, u.refresh_token)).status).toBe(200);
  });

  it('deactivated user: inactive user, and the access token stops working; reactivation restores', async () => {
    w = await startWorld();
    const t = await login(w);
    w.emu.deactivateUser(w.userId);
    expect((await refresh(w, t.refresh_token)).json).toEqual(INVALID_GRANT('inactive user'));
    expect((await restCall(w, t.access_token)).status).toBe(401);
    w.emu.reactivateUser(w.userId);
    expect((await refresh(w, t.refresh_token)).status).toBe(200);
  });

  it("frozen user: no login, refresh refused as inactive user; 'allow' lets refresh and sessions through", async () => {
    w = await startWorld();
    const t = await login(w);
    w.emu.freezeUser(w.userId);
    expect((await refresh(w, t.refresh_token)).json).toEqual(INVALID_GRANT('inactive user'));
    expect((await restCall(w, t.access_token)).status).toBe(401);
    await expect(login(w)).rejects.toThrow(/error=inactive_user/);
    w.emu.updateApp(w.clientId, { frozenUserRefresh: 'allow' });
    const r = await refresh(w, t.refresh_token);
    expect(r.status).toBe(200);
    expect((await restCall(w, r.json.access_token)).status).toBe(200);
    w.emu.unfreezeUser(w.userId);
    expect((await login(w)).access_token).toBeTruthy();
  });

  it('locked org: inactive organization', async () => {
    w = await startWorld();
    const t = await login(w);
    w.emu.lockOrg(w.orgId);
    expect((await refresh(w, t.refresh_token)).json).toEqual(INVALID_GRANT('inactive organization'));
    w.emu.unlockOrg(w.orgId);
    expect((await refresh(w, t.refresh_token)).status).toBe(200);
  });

  it('IP restriction: refresh refused unless the app relaxes IP for refresh tokens', async () => {
    w = await startWorld();
    const t = await login(w);
    w.emu.setOrgIpRestriction(w.orgId, ['10.1.2.3']);
    expect((await refresh(w, t.refresh_token)).json).toEqual(INVALID_GRANT('IP restricted or invalid login hours'));
    expect((await refresh(w, t.refresh_token, {})).status).toBe(400);
    w.emu.updateApp(w.clientId, { ipRelaxation: 'relax_for_refresh' });
    expect((await refresh(w, t.refresh_token)).status).toBe(200);
    w.emu.updateApp(w.clientId, { ipRelaxation: 'enforce' });
    w.emu.setOrgIpRestriction(w.orgId, null);
    w.emu.setUserIpRestriction(w.userId, ['127.0.0.1']);
    expect((await refresh(w, t.refresh_token)).status).toBe(200);
  });

  it("permitted users 'admin_approved': user hasn't approved this consumer until pre-authorized", async () => {
    w = await startWorld();
    const t = await login(w);
    w.emu.updateApp(w.clientId, { permittedUsers: 'admin_approved' });
    expect((await refresh(w, t.refresh_token)).json).toEqual(INVALID_GRANT("user hasn't approved this consumer"));
    w.emu.setPermitted(w.userId, w.clientId, true);
    expect((await refresh(w, t.refresh_token)).status).toBe(200);
  });
});

describe('admin actions (docs/salesforce.md)', () => {
  it('revoke the app for a user, or for a whole org', async () => {
    w = await startWorld();
    const bob = w.emu.createUser({ username: 'bob@example.com', orgId: w.orgId });
    const t = await login(w);
    const b = await login(w, { username: bob.username });
    expect(w.emu.revokeAppForUser(w.clientId, w.userId)).toBe(1);
    expect((await refresh(w, t.refresh_token)).json).toEqual(INVALID_GRANT('expired access/refresh token'));
    expect((await refresh(w, b.refresh_token)).status).toBe(200);
    expect(w.emu.revokeAppForOrg(w.clientId, w.orgId)).toBe(1);
    expect((await refresh(w, b.refresh_token)).json).toEqual(INVALID_GRANT('expired access/refresh token'));
  });

  it('block the app: tokens die and new authorizations are refused', async () => {
    w = await startWorld();
    const t = await login(w);
    w.emu.blockApp(w.clientId, { orgId: w.orgId });
    expect((await refresh(w, t.refresh_token)).json).toEqual(INVALID_GRANT('expired access/refresh token'));
    await expect(login(w)).rejects.toThrow(/no code: error=access_denied/);
    w.emu.unblockApp(w.clientId);
    expect((await login(w)).access_token).toBeTruthy();
  });

  it('remove sessions: the access token dies, the refresh token lives', async () => {
    w = await startWorld();
    const t = await login(w);
    expect(w.emu.removeSessions({ userId: w.userId })).toBe(1);
    expect((await restCall(w, t.access_token)).status).toBe(401);
    expect((await refresh(w, t.refresh_token)).status).toBe(200);
  });
});

describe('session timeout (docs/salesforce.md)', () => {
  it('slides only on activity in the second half of the window', async () => {
    w = await startWorld({ sessionTimeoutS: 1800 });
    const t = await login(w);
    const MIN = 60_000;
    w.emu.clock.advance(10 * MIN);
    expect((await restCall(w, t.access_token)).status).toBe(200); // minute 10: no slide
    w.emu.clock.advance(19 * MIN);
    expect((await restCall(w, t.access_token)).status).toBe(200); // minute 29: slides to 59
    w.emu.clock.advance(29 * MIN);
    expect((await restCall(w, t.access_token)).status).toBe(200); // minute 58: slides to 88
    w.emu.clock.advance(30 * MIN);
    expect((await restCall(w, t.access_token)).status).toBe(401); // minute 88: expired
  });

  it('without activity in the second half the token dies at the timeout', async () => {
    w = await startWorld({ sessionTimeoutS: 1800 });
    const t = await login(w);
    w.emu.clock.advance(10 * 60_000);
    await restCall(w, t.access_token);
    w.emu.clock.advance(20 * 60_000);
    expect((await restCall(w, t.access_token)).json).toEqual([{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
  });
});

describe('policy layering: app → org → org+app → user', () => {
  it('an org override beats the app, a user override beats the org', async () => {
    w = await startWorld({ refreshTokenPolicy: 'until_revoked' });
    const t = await login(w);
    w.emu.setOrgPolicy(w.orgId, { refreshTokenPolicy: 'immediate' });
    expect((await refresh(w, t.refresh_token)).json).toEqual(INVALID_GRANT('expired access/refresh token'));
    w.emu.setUserPolicy(w.userId, { refreshTokenPolicy: 'until_revoked' });
    expect((await refresh(w, t.refresh_token)).status).toBe(200);
  });

  it('an org override for one app only', async () => {
    w = await startWorld();
    const other = w.emu.createApp({ clientId: 'other', clientSecret: 'x', callbackUrls: ['http://127.0.0.1:9/callback'] });
    w.emu.setOrgPolicy(w.orgId, { rotation: true }, { clientId: other.client_id });
    const t = await login(w);
    expect((await refresh(w, t.refresh_token)).json.refresh_token).toBeUndefined();
  });
});

/** Resolves once the emulator has started processing `n` refresh attempts (no timing involved). */
async function attemptsStarted(n: number): Promise<void> {
  while (w.emu.stats().refresh_attempts < n) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('concurrent refresh (docs/salesforce.md)', () => {
  it('a second refresh while the first is in flight gets 400 expired authorization code', async () => {
    w = await startWorld();
    const t = await login(w);
    w.emu.setRefreshHold(1000);
    const first = refresh(w, t.refresh_token);
    await attemptsStarted(1);
    const second = await refresh(w, t.refresh_token);
    expect(second).toMatchObject({ status: 400, json: INVALID_GRANT('expired authorization code') });
    expect((await first).status).toBe(200);
    expect(w.emu.stats().concurrent_rejections).toBe(1);
  });

  it("concurrentRefresh 'allow' lets both through; the error body is configurable", async () => {
    w = await startWorld({ concurrentRefresh: 'allow' });
    const t = await login(w);
    w.emu.setRefreshHold(500);
    const first = refresh(w, t.refresh_token);
    await attemptsStarted(1);
    expect((await refresh(w, t.refresh_token)).status).toBe(200);
    expect((await first).status).toBe(200);

    w.emu.updateApp(w.clientId, { concurrentRefresh: 'reject', concurrentRefreshError: { status: 400, error: 'invalid_grant', error_description: 'Token request is already being processed' } });
    const third = refresh(w, t.refresh_token);
    await attemptsStarted(3);
    expect((await refresh(w, t.refresh_token)).json).toEqual(INVALID_GRANT('Token request is already being processed'));
    expect((await third).status).toBe(200);
  });
});

describe('traffic controls', () => {
  it('rate limit: 400 rate_limit_exceeded by default, 429 when asked, per second of emulator time', async () => {
    w = await startWorld();
    const t = await login(w);
    w.emu.setRateLimit({ maxPerS: 2 });
    expect((await refresh(w, t.refresh_token)).status).toBe(200);
    expect((await refresh(w, t.refresh_token)).status).toBe(200);
    const limited = await refresh(w, t.refresh_token);
    expect(limited).toMatchObject({ status: 400, json: { error: 'rate_limit_exceeded', error_description: 'number of logins exceeded' } });
    w.emu.clock.advance(1000);
    expect((await refresh(w, t.refresh_token)).status).toBe(200);
    w.emu.setRateLimit({ maxPerS: 0, style: '429' });
    const r429 = await refresh(w, t.refresh_token);
    expect(r429).toMatchObject({ status: 429, json: { error: 'rate_limit_exceeded', error_description: 'number of logins exceeded' } });
    w.emu.setRateLimit(null);
    expect((await refresh(w, t.refresh_token)).status).toBe(200);
  });

  it('faults: status with count, non_json, reset, timeout', async () => {
    w = await startWorld();
    const t = await login(w);
    w.emu.setFault({ status: 503, count: 1 });
    const f503 = await refresh(w, t.refresh_token);
    expect(f503).toMatchObject({ status: 503, json: { error: 'unknown_error', error_description: 'retry your request' } });
    expect((await refresh(w, t.refresh_token)).status).toBe(200);

    w.emu.setFault({ mode: 'non_json', status: 502, count: 1 });
    const html = await refresh(w, t.refresh_token);
    expect(html.status).toBe(502);
    expect(html.headers.get('content-type')).toContain('text/html');

    w.emu.setFault({ mode: 'reset', count: 1 });
    await expect(refresh(w, t.refresh_token)).rejects.toThrow();
    expect(w.emu.stats().faults_injected).toBe(3);
  });

  it('a timeout fault holds the request until the client gives up', async () => {
    w = await startWorld();
    const t = await login(w);
    w.emu.setFault({ mode: 'timeout', endpoint: 'token' });
    const controller = new AbortController();
    const pending = fetch(`${w.emu.url}/services/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: t.refresh_token, client_id: w.clientId }),
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 100);
    await expect(pending).rejects.toThrow(/abort/i);
    w.emu.clearFaults();
    expect((await refresh(w, t.refresh_token)).status).toBe(200);
  });

  it('faults can target other endpoints; latency delays without changing the answer', async () => {
    w = await startWorld();
    const t = await login(w);
    w.emu.setFault({ status: 500, endpoint: 'rest', count: 1 });
    expect((await restCall(w, t.access_token)).status).toBe(500);
    expect((await restCall(w, t.access_token)).status).toBe(200);
    w.emu.setLatency(20, 'token');
    expect((await refresh(w, t.refresh_token)).status).toBe(200);
  });
});
