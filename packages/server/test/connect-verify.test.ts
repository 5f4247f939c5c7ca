// Issue 17 over real HTTP, on both databases: a connect session verifies the grant it obtains
// (one refresh right after the code exchange; the catalog's default, true for Salesforce);
// a grant that passed verification is never blamed on the immediate-expiry policy, an
// unverified one names both causes; and every connect flow that fails is recorded on its
// integration with the real reason (GET /v1/integrations/{key}/events).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BACKENDS } from './helpers/databases.js';
import { cookieHeader, startConnectRig, walkFlow, type ConnectRig } from './helpers/connect-flow.js';

const RETURN_URL = 'https://product.example/connected';

describe.each(BACKENDS)('connect verification and recorded failures on %s', (backend) => {
  let rig: ConnectRig;
  beforeAll(async () => {
    rig = await startConnectRig(backend, { logName: 'connect-verify' });
  });
  afterAll(async () => {
    await rig?.stop();
  });

  const session = async (body: Record<string, unknown>, integration = rig.integrationKey) => {
    const res = await rig.server.api('POST', '/v1/connect-sessions', { integration, ...body });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { url: string; verify: boolean };
  };
  const failures = async (integration = rig.integrationKey, query = '') => {
    const res = await rig.server.api('GET', `/v1/integrations/${integration}/events${query}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body as { data: any[]; next_cursor: string | null };
  };

  test('a Salesforce session verifies by default; verify: false turns it off; a custom oauth2 integration does not by default', async () => {
    expect((await session({ end_user: { id: 'v-default' } })).verify).toBe(true);
    expect((await session({ end_user: { id: 'v-off' }, verify: false })).verify).toBe(false);
    const bad = await rig.server.api('POST', '/v1/connect-sessions', { integration: rig.integrationKey, end_user: { id: 'v' }, verify: 'yes please' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toContain('verify');
    const custom = await rig.server.api('POST', '/v1/integrations', {
      key: `custom-${backend}`, provider: 'oauth2', client_id: 'custom-app', client_secret: 'custom-secret',
      authorization_url: `${rig.emu.url}/oauth2/authorize`, token_url: `${rig.emu.url}/oauth2/token`,
    });
    expect(custom.status, JSON.stringify(custom.body)).toBe(201);
    expect((await session({ end_user: { id: 'v-custom' } }, `custom-${backend}`)).verify).toBe(false);
    expect((await session({ end_user: { id: 'v-custom-on' }, verify: true }, `custom-${backend}`)).verify).toBe(true);
  });

  test('a verified connect: one refresh (trigger connect) right after the code exchange; an admin revoke later is diagnosed revoked, never the policy', async () => {
    const user = rig.user();
    const s = await session({ end_user: { id: 'verified' }, return_url: RETURN_URL });
    const before = rig.emu.stats().refresh_attempts;
    const walk = await walkFlow(s.url, user.username);
    expect(walk.location!.searchParams.get('status')).toBe('success');
    const id = walk.location!.searchParams.get('connection_id')!;
    expect(rig.emu.stats().refresh_attempts - before).toBe(1);
    const history = await rig.events(id);
    expect(history.map((e) => [e.type, e.trigger, e.outcome])).toEqual([
      ['refresh', 'connect', 'success'],
      ['connect', 'connect', 'success'],
    ]);
    expect(await rig.connection(id)).toMatchObject({ status: 'active', generation: 2, last_refreshed_at: expect.any(String) });

    // The org admin revokes the app for this user before the product ever used the grant.
    expect(rig.emu.revokeAppForUser(rig.clientId, user.userId)).toBe(1);
    const dead = await rig.server.api('POST', `/v1/connections/${id}/refresh`);
    expect(dead.status).toBe(409);
    expect(dead.body.diagnosis).toMatchObject({ code: 'revoked', who_fixes: 'end_user' });
    expect((await failures()).data.filter((e) => e.connection_id === id)).toEqual([]);
  });

  test('an unverified connect revoked by the admin before its first refresh names both causes (the policy, or a revoke)', async () => {
    const user = rig.user();
    const s = await session({ end_user: { id: 'unverified' }, return_url: RETURN_URL, verify: false });
    const walk = await walkFlow(s.url, user.username);
    const id = walk.location!.searchParams.get('connection_id')!;
    expect(walk.location!.searchParams.get('status')).toBe('success');
    expect((await rig.events(id)).filter((e) => e.type === 'refresh')).toEqual([]);
    expect(rig.emu.revokeAppForUser(rig.clientId, user.userId)).toBe(1);
    const dead = await rig.server.api('POST', `/v1/connections/${id}/refresh`);
    expect(dead.status).toBe(409);
    expect(dead.body.diagnosis).toMatchObject({ code: 'immediate_expiry_or_revoked', who_fixes: 'end_user', confidence: 'probable' });
    expect(dead.body.diagnosis.summary).toMatch(/expire immediately/);
    expect(dead.body.diagnosis.summary).toMatch(/revoked/);
  });

  test('a failed code exchange, a denial, a missing refresh token and an account mismatch are each recorded with the real reason', async () => {
    const owner = rig.user();
    const stranger = rig.user();
    const start = (await failures()).data.length;

    // The provider refuses the code exchange.
    const s1 = await session({ end_user: { id: 'f-exchange' }, return_url: RETURN_URL });
    rig.emu.setFault({ status: 400, count: 1, body: { error: 'invalid_grant', error_description: 'expired authorization code' } });
    const w1 = await walkFlow(s1.url, owner.username);
    expect(w1.location!.searchParams.get('error')).toBe('code_exchange_failed');

    // The user denies access.
    const s2 = await session({ end_user: { id: 'f-deny' }, return_url: RETURN_URL });
    const w2 = await walkFlow(s2.url, owner.username, { decision: 'deny' });
    expect(w2.location!.searchParams.get('error')).toBe('access_denied');

    // The token response carries no refresh token.
    const s3 = await session({ end_user: { id: 'f-norefresh' }, return_url: RETURN_URL });
    const tokens = rig.emu.issueTokens({ clientId: rig.clientId, username: rig.user().username });
    rig.emu.setFault({ status: 200, count: 1, body: { ...tokens, refresh_token: undefined } });
    const w3 = await walkFlow(s3.url, owner.username);
    expect(w3.location!.searchParams.get('error')).toBe('no_refresh_token');

    // A reconnect authorized as another Salesforce user.
    const s4 = await session({ end_user: { id: 'f-mismatch' }, return_url: RETURN_URL });
    const id = (await walkFlow(s4.url, owner.username)).location!.searchParams.get('connection_id')!;
    const s5 = await session({ end_user: { id: 'f-mismatch' }, connection_id: id, return_url: RETURN_URL });
    const w5 = await walkFlow(s5.url, stranger.username);
    expect(w5.location!.searchParams.get('error')).toBe('account_mismatch');

    // A reconnect whose connection is deleted while the user is at the provider.
    const s6 = await session({ end_user: { id: 'f-mismatch' }, connection_id: id, return_url: RETURN_URL });
    const started = await fetch(s6.url, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    expect(started.status).toBe(302);
    expect((await rig.server.api('DELETE', `/v1/connections/${id}`)).status).toBe(204);
    const authorize = new URL(started.headers.get('location')!);
    authorize.searchParams.set('login_hint', owner.username);
    authorize.searchParams.set('emulator_auto_approve', 'allow');
    const atProvider = await fetch(authorize, { redirect: 'manual' });
    const callback = await fetch(atProvider.headers.get('location')!, { redirect: 'manual', headers: { cookie: cookieHeader(started) } });
    expect(new URL(callback.headers.get('location')!).searchParams.get('error')).toBe('connection_not_found');

    const recorded = (await failures()).data.slice(0, (await failures()).data.length - start);
    expect(recorded.map((e) => e.error)).toEqual(['connection_not_found', 'account_mismatch', 'no_refresh_token', 'access_denied', 'code_exchange_failed']);
    // The integration's history outlives the deleted connection (the mismatch below is still there) and still names it.
    expect(recorded[0]).toMatchObject({ connection_id: id, detail: { end_user_id: 'f-mismatch', reconnect: true } });
    recorded.shift();
    for (const e of recorded) expect(e).toMatchObject({ type: 'connect_failed', trigger: 'connect', id: expect.stringMatching(/^evt_/) });
    const [mismatch, noRefresh, denied, exchange] = recorded;
    expect(exchange).toMatchObject({ outcome: 'permanent_error', http_status: 400, connection_id: null, detail: { end_user_id: 'f-exchange', provider_error: 'invalid_grant' } });
    expect(exchange.error_description).toContain('invalid_grant — expired authorization code');
    expect(denied.error_description).toMatch(/did not allow access/);
    expect(denied.detail).toMatchObject({ end_user_id: 'f-deny', provider_error: 'access_denied' });
    expect(noRefresh.error_description).toMatch(/no refresh token/);
    expect(noRefresh.error_description).toContain('api refresh_token');
    expect(mismatch).toMatchObject({ connection_id: id, detail: { end_user_id: 'f-mismatch', reconnect: true } });
    expect(mismatch.error_description).toMatch(/another provider account/);

    // Newest first, one page at a time.
    const first = await failures(rig.integrationKey, '?limit=1');
    expect(first.data.map((e) => e.error)).toEqual(['connection_not_found']);
    const second = await failures(rig.integrationKey, `?limit=1&cursor=${first.next_cursor}`);
    expect(second.data.map((e) => e.error)).toEqual(['account_mismatch']);
    expect((await rig.server.api('GET', `/v1/integrations/${rig.integrationKey}/events?cursor=garbage`)).body.code).toBe('invalid_cursor');
    expect((await rig.server.api('GET', '/v1/integrations/no-such-integration/events')).status).toBe(404);
    // The failures are the integration's own history: a connection's refreshes are not in it.
    expect(recorded.every((e) => e.type === 'connect_failed')).toBe(true);
  });
});

describe.each(BACKENDS)('a failed verification on %s ("immediately expire" policy)', (backend) => {
  test('without return_url: a page that says the connection does not work and why; recorded on the integration', async () => {
    const rig = await startConnectRig(backend, { app: { refreshTokenPolicy: 'immediate' }, logName: 'connect-verify-immediate' });
    try {
      const user = rig.user();
      const created = await rig.server.api('POST', '/v1/connect-sessions', { integration: rig.integrationKey, end_user: { id: 'no-return' } });
      const walk = await walkFlow(created.body.url, user.username);
      expect(walk.callback.status).toBe(400);
      const html = await walk.callback.text();
      expect(html).toContain('Your Salesforce account was connected, but the connection does not work');
      expect(html).toContain('Error code: immediate_expiry_policy');
      expect(html).toContain('Refresh Token Policy'); // the org admin's step, passed on
      const id = /Connection: (conn_[0-9a-f]{32})/.exec(html)![1]!;
      expect((await rig.connection(id)).diagnosis).toMatchObject({ code: 'immediate_expiry_policy', confidence: 'certain' });
      // An operator's "try now" fails the same way, and the grant keeps its proven diagnosis.
      const again = await rig.server.api('POST', `/v1/connections/${id}/refresh`);
      expect(again.status).toBe(409);
      expect(again.body.diagnosis).toMatchObject({ code: 'immediate_expiry_policy', confidence: 'certain' });

      const events = (await rig.server.api('GET', `/v1/integrations/${rig.integrationKey}/events`)).body.data;
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ type: 'connect_failed', error: 'immediate_expiry_policy', connection_id: id, http_status: 400, detail: { provider_error: 'invalid_grant' } });
      expect(events[0].error_description).toMatch(/refresh made right after connecting failed \(invalid_grant: expired access\/refresh token\)/);
    } finally {
      await rig.stop();
    }
  });
});

describe.each(BACKENDS)('a private token URL at connect time on %s (GRANTKEEPER_ALLOW_PRIVATE_NETWORK unset)', (backend) => {
  test('the code exchange is refused by the outbound policy, and the recorded reason names the setting', async () => {
    // Created with a public address (a loopback one is refused at create), then pointed at the
    // emulator in the database: as if stored before that check, or resolved elsewhere then.
    const rig = await startConnectRig(backend, { env: { GRANTKEEPER_ALLOW_PRIVATE_NETWORK: '' }, integration: { auth_base_url: 'https://1.1.1.1' }, logName: 'connect-verify-private' });
    try {
      await rig.server.ctx.db.kysely.updateTable('integrations').set({ auth_base_url: rig.emu.url }).where('key', '=', rig.integrationKey).execute();
      const created = await rig.server.api('POST', '/v1/connect-sessions', { integration: rig.integrationKey, end_user: { id: 'private' }, return_url: RETURN_URL });
      const walk = await walkFlow(created.body.url, rig.user().username);
      expect(Object.fromEntries(walk.location!.searchParams)).toMatchObject({ status: 'error', error: 'code_exchange_failed' });
      expect(rig.emu.stats().code_exchanges).toBe(0); // refused before anything was sent
      const events = (await rig.server.api('GET', `/v1/integrations/${rig.integrationKey}/events`)).body.data;
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ error: 'code_exchange_failed', outcome: 'permanent_error', http_status: null });
      expect(events[0].error_description).toContain('GRANTKEEPER_ALLOW_PRIVATE_NETWORK');
      expect(events[0].error_description).toContain(new URL(rig.emu.url).origin);
    } finally {
      await rig.stop();
    }
  });
});
