// The refresh engine against the Salesforce emulator over real HTTP, on both databases.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { BACKENDS } from './helpers/databases.js';
import { startSalesforceRig, type SalesforceRig } from './helpers/salesforce.js';
import { until } from './helpers/wait.js';

describe.each(BACKENDS)('refresh engine on %s', (backend) => {
  let rig: SalesforceRig;
  beforeAll(async () => {
    // Backoffs of an hour: a transient failure in one test never becomes due work that the
    // scheduler's first pass (a second after start) refreshes in the middle of another test.
    // Every retry these tests need is an explicit call (`force=true`, `POST …/refresh`).
    rig = await startSalesforceRig(backend, { logName: 'refresh', env: { GRANTKEEPER_BACKOFF_BASE_MS: '3600000', GRANTKEEPER_BACKOFF_MAX_MS: '3600000' } });
  });
  afterAll(async () => {
    await rig?.stop();
  });
  afterEach(() => {
    rig.emu.clearFaults();
    rig.emu.setLatency(0);
  });

  const token = (id: string, query = '') => rig.server.api('GET', `/v1/connections/${id}/token${query}`);

  // The emulator's counters are global: a background refresh of another test's connection (a
  // backoff ending) would add to them. A grant on an integration of its own — its own
  // emulator app — has its provider calls counted apart, by client id in the request log.
  let apps = 0;
  async function grantOfItsOwn(): Promise<{ id: string; refreshToken: string; calls: () => number; refreshes: () => number }> {
    const clientId = `${rig.clientId}-own${++apps}`;
    rig.emu.createApp({ clientId, clientSecret: rig.clientSecret });
    const key = `${rig.integrationKey}-own${apps}`;
    const created = await rig.server.api('POST', '/v1/integrations', { key, provider: 'salesforce', client_id: clientId, client_secret: rig.clientSecret, auth_base_url: rig.emu.url });
    expect(created.status).toBe(201);
    const user = rig.user();
    const refreshToken = String(rig.emu.issueTokens({ clientId, username: user.username }).refresh_token);
    const imported = await rig.server.api('POST', '/v1/connections', { integration: key, end_user: { id: user.username }, credentials: { refresh_token: refreshToken } });
    expect(imported.status).toBe(201);
    const mine = () => rig.emu.requestLog({ endpoint: 'token' }).filter((e) => e.client_id === clientId && e.grant_type === 'refresh_token');
    return { id: imported.body.id, refreshToken, calls: () => mine().length, refreshes: () => mine().filter((e) => e.status === 200).length };
  }

  test('refreshes an imported grant on first use and serves it from memory afterwards', async () => {
    const { id, refreshes } = await grantOfItsOwn();
    const first = await token(id);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ token_type: 'Bearer', generation: 2, instance_url: rig.emu.instanceUrl });
    expect(first.body.access_token).toMatch(/^00D[A-Za-z0-9]{12}!/);
    // Salesforce sends no expires_in: expiry = issued_at + access_token_ttl_s (7200 s by default).
    const lifetimeS = (Date.parse(first.body.expires_at) - Date.now()) / 1000;
    expect(lifetimeS).toBeGreaterThan(7100);
    expect(lifetimeS).toBeLessThanOrEqual(7200);
    const second = await token(id);
    expect(second.body).toEqual(first.body);
    expect(refreshes()).toBe(1);

    const conn = await rig.connection(id);
    const user = rig.emu.getUser(conn.end_user.id)!;
    expect(conn.status).toBe('active');
    expect(conn.provider_account.org_id).toBe(user.org_id);
    expect(conn.provider_account.user_id).toBe(user.user_id);
    expect(conn.provider_account.org_id).toHaveLength(18);
    const history = await rig.events(id);
    expect(history.map((e) => [e.type, e.outcome])).toEqual([
      ['refresh', 'success'],
      ['import', 'success'],
    ]);
    expect(history[0].trigger).toBe('on_demand');
    expect(history[0].http_status).toBe(200);
  });

  test('50 concurrent calls on an expired token make exactly one provider call and all get the same token', async () => {
    const { id, calls } = await grantOfItsOwn();
    rig.emu.setLatency(100);
    const results = await Promise.all(Array.from({ length: 50 }, () => token(id)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(new Set(results.map((r) => r.body.access_token)).size).toBe(1);
    expect(calls()).toBe(1);
  });

  test('50 callers with force=true after one 401 cause one refresh, and the old token is never served again', async () => {
    const { id, calls } = await grantOfItsOwn();
    const old = (await token(id)).body;
    const before = calls();
    rig.emu.setLatency(50);
    const forced = await Promise.all(Array.from({ length: 50 }, () => token(id, '?force=true')));
    expect(forced.every((r) => r.status === 200)).toBe(true);
    expect(new Set(forced.map((r) => r.body.access_token)).size).toBe(1);
    expect(forced[0]!.body.access_token).not.toBe(old.access_token);
    expect(calls() - before).toBe(1);
    const after = await token(id);
    expect(after.body.access_token).toBe(forced[0]!.body.access_token);
    expect(after.body.generation).toBe(old.generation + 1);
  });

  test('min_valid_s must be below the access-token lifetime', async () => {
    const { id } = await rig.importGrant(rig.user().username);
    const res = await token(id, '?min_valid_s=7200');
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('min_valid_s');
  });

  test('a 503 from Salesforce means refresh_failing, never needs_reauth, and active again after', async () => {
    const { id } = await rig.importGrant(rig.user().username);
    rig.emu.setFault({ status: 503, count: 1 });
    const failed = await token(id);
    expect(failed.status).toBe(503);
    expect(failed.body.code).toBe('provider_unavailable');
    expect(Number(failed.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    let conn = await rig.connection(id);
    expect(conn.status).toBe('refresh_failing');
    expect(conn.consecutive_failures).toBe(1);
    expect(conn.last_error).toMatchObject({ http_status: 503 });
    expect(conn.diagnosis).toMatchObject({ code: 'provider_unavailable', who_fixes: 'nobody_transient' });
    expect((await rig.outbox('connection.refresh_failing')).filter((e) => e.payload.data.connection.id === id)).toHaveLength(1);

    const recovered = await rig.server.api('POST', `/v1/connections/${id}/refresh`);
    expect(recovered.status).toBe(200);
    conn = await rig.connection(id);
    expect(conn).toMatchObject({ status: 'active', consecutive_failures: 0, last_error: null, diagnosis: null });
    const recoveredEvents = (await rig.outbox('connection.recovered')).filter((e) => e.payload.data.connection.id === id);
    expect(recoveredEvents).toHaveLength(1);
    expect(recoveredEvents[0]!.payload.data.sequence).toBeGreaterThan(1);
  });

  test('during backoff no provider call is made; a still-valid token is served with a warning', async () => {
    const { id, calls } = await grantOfItsOwn();
    await token(id);
    rig.emu.setFault({ status: 500, count: 1 });
    const forced = await token(id, '?force=true');
    expect(forced.status).toBe(503);
    const attempts = calls();
    // Not forced: the stored token is still valid for the default margin.
    const served = await token(id);
    expect(served.status).toBe(200);
    // A demand the stored token cannot meet while backing off: 503 without calling Salesforce.
    const conn = await rig.connection(id);
    expect(conn.status).toBe('refresh_failing');
    expect(calls()).toBe(attempts);
  });

  test("Salesforce's concurrent-refresh answer is transient, not a dead grant", async () => {
    const { id } = await rig.importGrant(rig.user().username);
    rig.emu.setFault({ status: 400, count: 1, body: { error: 'invalid_grant', error_description: 'expired authorization code' } });
    const res = await token(id);
    expect(res.status).toBe(503);
    expect((await rig.connection(id)).status).toBe('refresh_failing');
  });

  test('a grant revoked before its first refresh is confirmed by one retry, then needs_reauth with a diagnosis; no more provider calls', async () => {
    const { id, refreshToken, calls } = await grantOfItsOwn();
    rig.emu.revokeApproval(refreshToken);
    const res = await token(id);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('reauth_required');
    // An import that never refreshed: Salesforce answers a revoked token as one it never issued.
    expect(res.body.diagnosis).toMatchObject({ code: 'unknown_token', who_fixes: 'developer' });
    expect(res.body.reconnect_url).toMatch(new RegExp(`/reconnect/${id}\\?sig=`));
    expect(res.body.connection.status).toBe('needs_reauth');
    expect(calls()).toBe(2); // the attempt and its confirmation
    const history = await rig.events(id);
    expect(history.slice(0, 2).map((e) => [e.trigger, e.outcome, e.error, e.error_description])).toEqual([
      ['retry', 'permanent_error', 'invalid_grant', 'expired access/refresh token'],
      ['on_demand', 'permanent_error', 'invalid_grant', 'expired access/refresh token'],
    ]);
    const reauth = (await rig.outbox('connection.reauth_required')).filter((e) => e.payload.data.connection.id === id);
    expect(reauth).toHaveLength(1);
    expect(reauth[0]!.payload.data.reconnect_url).toContain(`/reconnect/${id}`);

    // Asking again costs Salesforce nothing.
    expect((await token(id)).status).toBe(409);
    expect((await token(id, '?force=true')).status).toBe(409);
    expect(calls()).toBe(2);

    // An operator's "try now" makes exactly one call; failure keeps the status and sends no webhook.
    const tryNow = await rig.server.api('POST', `/v1/connections/${id}/refresh`);
    expect(tryNow.status).toBe(409);
    expect(calls()).toBe(3);
    expect((await rig.outbox('connection.reauth_required')).filter((e) => e.payload.data.connection.id === id)).toHaveLength(1);
  });

  test.each([
    ['password change', (u: { userId: string }) => rig.emu.changePassword(u.userId), 'credentials_changed', 'end_user'],
    ['user deactivated', (u: { userId: string }) => rig.emu.deactivateUser(u.userId), 'user_inactive', 'org_admin'],
  ])('%s is diagnosed %s (%s fixes it)', async (_name, act, code, who) => {
    const user = rig.user();
    const { id } = await rig.importGrant(user.username);
    act(user);
    const res = await token(id);
    expect(res.status).toBe(409);
    expect(res.body.diagnosis).toMatchObject({ code, who_fixes: who });
    const conn = await rig.connection(id);
    // Admin-fixable grants are re-probed by the scheduler; the end user's are not.
    if (who === 'org_admin') expect(conn.next_refresh_at).not.toBeNull();
    else expect(conn.next_refresh_at).toBeNull();
  });

  test('a locked org is org_inactive and an IP restriction ip_restricted', async () => {
    const locked = rig.user(undefined, '00D000000000LCKAAA'.slice(0, 15));
    const a = await rig.importGrant(locked.username);
    rig.emu.lockOrg(locked.orgId);
    expect((await token(a.id)).body.diagnosis.code).toBe('org_inactive');

    const restricted = rig.user();
    const b = await rig.importGrant(restricted.username);
    rig.emu.setUserIpRestriction(restricted.userId, ['10.9.9.9']);
    expect((await token(b.id)).body.diagnosis.code).toBe('ip_restricted');
  });

  test('rotation: every rotated refresh token is stored; the emulator sees no reuse', async () => {
    const rotating = await startSalesforceRig(backend, { app: { rotation: true }, logName: 'refresh-rotation' });
    try {
      const { id, refreshToken } = await rotating.importGrant(rotating.user().username);
      for (let i = 0; i < 5; i++) {
        const res = await rotating.server.api('GET', `/v1/connections/${id}/token?force=true`);
        expect(res.status).toBe(200);
      }
      expect(rotating.emu.stats().reuse_detections).toBe(0);
      const current = rotating.emu.currentRefreshToken(refreshToken);
      expect(current).not.toBe(refreshToken);
      const row = await rotating.server.ctx.db.kysely.selectFrom('connections').select(['refresh_token_fp', 'last_rotation_at']).executeTakeFirstOrThrow();
      const { refreshTokenFingerprint } = await import('../src/crypto/hashing.js');
      expect(row.refresh_token_fp).toBe(refreshTokenFingerprint(rotating.server.ctx.keyring, current!));
      const history = await rotating.events(id);
      expect(history.filter((e: any) => e.rotated)).toHaveLength(5);
    } finally {
      await rotating.stop();
    }
  });

  test('a timeout after the request was sent, with rotation, is outcome unknown; the next invalid_grant is rotation_lost', async () => {
    const rotating = await startSalesforceRig(backend, {
      app: { rotation: true },
      // A long backoff: the scheduler's first pass (a second after start) must not retry the
      // timed-out refresh before the test reads its outcome and revokes the family.
      env: { GRANTKEEPER_TOKEN_TIMEOUT_MS: '300', GRANTKEEPER_BACKOFF_BASE_MS: '3600000', GRANTKEEPER_BACKOFF_MAX_MS: '3600000' },
      logName: 'refresh-unknown',
    });
    try {
      const { id, refreshToken } = await rotating.importGrant(rotating.user().username);
      rotating.emu.setFault({ mode: 'timeout', count: 1 });
      const res = await rotating.server.api('GET', `/v1/connections/${id}/token`);
      expect(res.status).toBe(503);
      const history = await rotating.events(id);
      expect(history[0]).toMatchObject({ type: 'refresh', outcome: 'unknown' });
      // As if Salesforce had rotated during that lost answer: the stored token is now dead.
      rotating.emu.revokeApproval(refreshToken);
      const after = await rotating.server.api('POST', `/v1/connections/${id}/refresh`);
      expect(after.status).toBe(409);
      expect(after.body.diagnosis).toMatchObject({ code: 'rotation_lost' });
    } finally {
      await rotating.stop();
    }
  });

  test('"immediately expire" policy on an imported grant: its first refresh fails → unknown_token, which names the policy among its causes', async () => {
    const immediate = await startSalesforceRig(backend, { app: { refreshTokenPolicy: 'immediate' }, logName: 'refresh-immediate' });
    try {
      const { id } = await immediate.importGrant(immediate.user().username, undefined, { withIssuedAt: true });
      const res = await immediate.server.api('GET', `/v1/connections/${id}/token`);
      expect(res.status).toBe(409);
      // An import cannot prove the policy (only a connect flow's verification can): the token never worked here.
      expect(res.body.diagnosis).toMatchObject({ code: 'unknown_token', who_fixes: 'developer' });
      expect(res.body.diagnosis.causes.join(' ')).toContain('Immediately expire refresh token');
    } finally {
      await immediate.stop();
    }
  });

  test('a wrong client secret is the integration\'s error, fixed by changing the secret', async () => {
    const wrong = await startSalesforceRig(backend, { integration: { client_secret: 'not-the-secret' }, logName: 'refresh-wrong-secret' });
    try {
      const { id } = await wrong.importGrant(wrong.user().username);
      const res = await wrong.server.api('GET', `/v1/connections/${id}/token`);
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('integration_error');
      const integration = (await wrong.server.api('GET', `/v1/integrations/${wrong.integrationKey}`)).body;
      expect(integration.status).toBe('error');
      expect(integration.last_error).toMatchObject({ error: 'invalid_client' });
      expect((await wrong.server.api('GET', `/v1/connections/${id}`)).body.status).toBe('integration_error');
      expect(await wrong.outbox('integration.error')).toHaveLength(1);
      const attempts = wrong.emu.stats().refresh_attempts;
      expect((await wrong.server.api('GET', `/v1/connections/${id}/token`)).status).toBe(409);
      expect(wrong.emu.stats().refresh_attempts).toBe(attempts);

      const fixed = await wrong.server.api('PATCH', `/v1/integrations/${wrong.integrationKey}`, { client_secret: wrong.clientSecret });
      expect(fixed.status).toBe(200);
      await until('the connection active again', async () => (await wrong.connection(id)).status === 'active', 5_000);
      expect((await wrong.server.api('GET', `/v1/integrations/${wrong.integrationKey}`)).body.status).toBe('ok');
      expect(await wrong.outbox('integration.recovered')).toHaveLength(1);
    } finally {
      await wrong.stop();
    }
  });

  test('a signature mismatch is recorded and alerted, and the token is still stored', async () => {
    const lax = await startSalesforceRig(backend, { logName: 'refresh-signature' });
    try {
      const user = lax.user();
      const { id } = await lax.importGrant(user.username);
      // A token response whose signature was not made with our client secret.
      const genuine = lax.emu.issueTokens({ clientId: lax.clientId, username: user.username });
      lax.emu.setFault({ status: 200, count: 1, body: { ...genuine, refresh_token: undefined, signature: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' } });
      const res = await lax.server.api('GET', `/v1/connections/${id}/token`);
      expect(res.status).toBe(200);
      const history = await lax.events(id);
      expect(history[0].detail).toMatchObject({ signature_mismatch: true });
      expect(res.body.access_token).toBe(genuine.access_token);
      const metrics = await (await fetch(`${lax.server.url}/metrics`)).text();
      expect(metrics).toMatch(/grantkeeper_signature_mismatch_total\{integration="[^"]+"\} 1/);
    } finally {
      await lax.stop();
    }
  });

  test('delete revokes the refresh token at Salesforce', async () => {
    const { id, refreshToken } = await rig.importGrant(rig.user().username);
    const revocationsBefore = rig.emu.stats().revocations;
    expect((await rig.server.api('DELETE', `/v1/connections/${id}`)).status).toBe(204);
    expect((await rig.server.api('GET', `/v1/connections/${id}`)).status).toBe(404);
    await until('the revocation', () => rig.emu.stats().revocations === revocationsBefore + 1, 10_000);
    expect(rig.emu.refreshTokenStatus(refreshToken).status).toBe('revoked');
    expect((await rig.outbox('connection.deleted')).some((e) => e.payload.data.connection.id === id)).toBe(true);
  });
});
