// The connect flow against the Salesforce emulator over real HTTP, on both databases:
// sessions, the hosted pages, the callback's every ending, in-place re-authentication,
// reconnect links, and the grant ledger's 5-per-user guard.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sha256Hex } from '../src/crypto/hashing.js';
import { fromPublicId } from '../src/model/ids.js';
import { startPage } from '../src/connect/pages.js';
import { returnUrlProblem, withOutcome } from '../src/connect/return-url.js';
import { BACKENDS } from './helpers/databases.js';
import { until } from './helpers/wait.js';
import { startConnectRig, walkFlow, type ConnectRig } from './helpers/connect-flow.js';

const RETURN_URL = 'https://product.example/integrations/done?tab=crm';

describe.each(BACKENDS)('connect flow on %s', (backend) => {
  let rig: ConnectRig;
  beforeAll(async () => {
    rig = await startConnectRig(backend, { logName: 'connect' });
  });
  afterAll(async () => {
    await rig?.stop();
  });

  const db = () => rig.server.ctx.db.kysely;
  // These tests are about what the flow stores; a session's verification refresh (on by default
  // for Salesforce, tested in connect-verify.test.ts) would add a refresh after each of them.
  const session = async (body: Record<string, unknown>) => {
    const res = await rig.server.api('POST', '/v1/connect-sessions', { integration: rig.integrationKey, verify: false, ...body });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { token: string; url: string; expires_at: string };
  };
  const connectionCount = async () => Number((await db().selectFrom('connections').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  const outboxFor = async (type: string, id: string) => (await rig.outbox(type)).filter((e) => e.payload.data.connection?.id === id);
  const approvalsOf = (userId: string) => rig.emu.approvals({ userId, clientId: rig.clientId });
  const rowId = (id: string) => fromPublicId('connection', id)!;
  const connectAs = async (username: string, endUser: string, extra: Record<string, unknown> = {}) => {
    const s = await session({ end_user: { id: endUser }, return_url: RETURN_URL, ...extra });
    const walk = await walkFlow(s.url, username);
    expect(walk.callback.status, await walk.callback.clone().text()).toBe(302);
    return { ...walk, id: walk.location!.searchParams.get('connection_id')! };
  };

  test('POST /v1/connect-sessions validates its input and stores only a hash of the token', async () => {
    const bad = [
      [{ integration: 'nope', end_user: { id: 'u' } }, 'integration'],
      [{ integration: rig.integrationKey, end_user: { id: 'u' }, return_url: 'javascript:alert(1)' }, 'return_url'],
      [{ integration: rig.integrationKey, end_user: { id: 'u' }, return_url: 'not a url' }, 'return_url'],
      [{ integration: rig.integrationKey, end_user: { id: 'u' }, connection_id: 'conn_0000' }, 'connection_id'],
      [{ integration: rig.integrationKey, end_user: { id: 'u' }, surprise: 1 }, 'surprise'],
      [{ integration: rig.integrationKey }, 'end_user'],
    ] as const;
    for (const [body, field] of bad) {
      const res = await rig.server.api('POST', '/v1/connect-sessions', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    expect((await rig.server.api('POST', '/v1/connect-sessions', { integration: rig.integrationKey, end_user: { id: 'u' } }, { authorization: 'Bearer wrong' })).status).toBe(401);
    // GRANTKEEPER_RETURN_URL_ALLOWLIST, as the running server reads it.
    rig.server.ctx.config.returnUrlAllowlist = ['https://product.example'];
    try {
      const refused = await rig.server.api('POST', '/v1/connect-sessions', { integration: rig.integrationKey, end_user: { id: 'u' }, return_url: 'https://elsewhere.example/' });
      expect(refused.status).toBe(400);
      expect(refused.body.errors[0].message).toMatch(/allowlist/);
      expect((await rig.server.api('POST', '/v1/connect-sessions', { integration: rig.integrationKey, end_user: { id: 'u' }, return_url: RETURN_URL })).status).toBe(201);
    } finally {
      rig.server.ctx.config.returnUrlAllowlist = null;
    }

    const created = await session({ end_user: { id: 'hash-check', email: 'a@b.example' }, return_url: RETURN_URL });
    expect(created.url).toBe(`${rig.publicUrl}/connect/${created.token}`);
    expect(created.token).toMatch(/^ct_[A-Za-z0-9_-]{43}$/);
    const ttl = (Date.parse(created.expires_at) - Date.now()) / 1000;
    expect(ttl).toBeGreaterThan(1700);
    expect(ttl).toBeLessThanOrEqual(1800);
    const row = await db().selectFrom('connect_sessions').selectAll().where('token_hash', '=', sha256Hex(created.token)).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(created.token);
    expect(row).toMatchObject({ end_user_id: 'hash-check', end_user_email: 'a@b.example', return_url: RETURN_URL, used_at: null });
    const openapi = await (await fetch(`${rig.server.url}/openapi.json`)).json();
    expect(Object.keys(openapi.paths['/v1/connect-sessions'])).toEqual(['post']);
    expect(openapi.paths['/oauth/callback']).toBeUndefined();
  });

  test('a reconnect session must name a connection of the same end user and integration', async () => {
    const user = rig.user();
    const { id } = await connectAs(user.username, 'owner-1');
    const res = await rig.server.api('POST', '/v1/connect-sessions', { integration: rig.integrationKey, end_user: { id: 'someone-else' }, connection_id: id });
    expect(res.status).toBe(400);
    expect(res.body.errors[0]).toMatchObject({ field: 'connection_id', message: 'belongs to another end user' });
  });

  test('the start page is safe HTML; a GET never uses the link up; the POST does, once', async () => {
    const s = await session({ end_user: { id: 'pages', email: 'pat@example.com' }, return_url: RETURN_URL });
    for (let i = 0; i < 2; i++) {
      const res = await fetch(s.url);
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html).toContain(`<form method="post" action="${s.url}"`);
      expect(html).toContain(rig.integrationKey);
      expect(html).toContain('Connect your Salesforce account');
      expect(html).toContain('pat@example.com');
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const csp = res.headers.get('content-security-policy')!;
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toMatch(/style-src 'sha256-[A-Za-z0-9+/]+=*'/);
      expect(csp).toContain(`form-action 'self' ${rig.publicUrl} ${rig.emu.url}`);
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
    const first = await fetch(s.url, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    expect(first.status).toBe(302);
    const authorize = new URL(first.headers.get('location')!);
    expect(authorize.origin + authorize.pathname).toBe(`${rig.emu.url}/services/oauth2/authorize`);
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: rig.clientId,
      redirect_uri: `${rig.publicUrl}/oauth/callback`,
      scope: 'api refresh_token',
      code_challenge_method: 'S256',
    });
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.searchParams.get('state')!.length).toBeGreaterThanOrEqual(32);
    const cookie = first.headers.getSetCookie().join('\n');
    expect(cookie).toMatch(/^gk_flow_[0-9a-f]{16}=[^;]+; Path=\/oauth\/callback; Max-Age=900; HttpOnly; SameSite=Lax$/);
    const row = await db().selectFrom('connect_sessions').selectAll().where('token_hash', '=', sha256Hex(s.token)).executeTakeFirstOrThrow();
    expect(row.state_hash).toBe(sha256Hex(authorize.searchParams.get('state')!));
    expect(row.code_verifier_enc).toMatch(/^gk1:/);

    const second = await fetch(s.url, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    expect(second.status).toBe(409);
    const used = await second.text();
    expect(used).toContain('This link was already used');
    expect(used).toContain('status=error&#38;error=session_already_used');
    expect(second.headers.get('content-security-policy')).toContain("form-action 'none'");
    expect((await fetch(s.url)).status).toBe(409);
    expect((await fetch(`${rig.publicUrl}/connect/ct_${'x'.repeat(43)}`)).status).toBe(404);
    expect((await fetch(`${rig.publicUrl}/connect/%3Cscript%3E`)).status).toBe(404);
  });

  test('concurrent POSTs of one link: exactly one starts a flow', async () => {
    const s = await session({ end_user: { id: 'race' }, return_url: RETURN_URL });
    const results = await Promise.all(
      Array.from({ length: 8 }, () => fetch(s.url, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([302, 409, 409, 409, 409, 409, 409, 409]);
  });

  test('an expired link shows the expired page and cannot be started', async () => {
    const s = await session({ end_user: { id: 'late' }, return_url: RETURN_URL });
    await db().updateTable('connect_sessions').set({ expires_at: new Date(Date.now() - 1000) }).where('token_hash', '=', sha256Hex(s.token)).execute();
    const page = await fetch(s.url);
    expect(page.status).toBe(410);
    expect(await page.text()).toContain('This link has expired');
    const post = await fetch(s.url, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    expect(post.status).toBe(410);
  });

  test('success: a new connection with a stored grant, connect event, connection.created and a live ledger row', async () => {
    const user = rig.user();
    const before = rig.emu.stats();
    const walk = await connectAs(user.username, 'new-user', { end_user: { id: 'new-user', email: 'new@example.com' } });
    expect(walk.location!.origin + walk.location!.pathname).toBe('https://product.example/integrations/done');
    expect(walk.location!.searchParams.get('tab')).toBe('crm');
    expect(walk.location!.searchParams.get('status')).toBe('success');
    expect(walk.callback.headers.getSetCookie().join()).toMatch(/Max-Age=0/);
    expect(rig.emu.stats().code_exchanges - before.code_exchanges).toBe(1);

    const conn = await rig.connection(walk.id);
    expect(conn).toMatchObject({
      status: 'active',
      generation: 1,
      end_user: { id: 'new-user', email: 'new@example.com' },
      provider_account: { org_id: user.orgId, user_id: user.userId, instance_url: rig.emu.instanceUrl },
      consecutive_failures: 0,
      last_error: null,
      diagnosis: null,
    });
    expect(conn.provider_account.org_id).toHaveLength(18);
    expect(conn.provider_account.user_id).toHaveLength(18);
    expect(conn.scopes).toEqual(expect.arrayContaining(['api', 'refresh_token']));
    const history = await rig.events(walk.id);
    expect(history.map((e: any) => [e.type, e.trigger, e.outcome])).toEqual([['connect', 'connect', 'success']]);
    expect(await outboxFor('connection.created', walk.id)).toHaveLength(1);
    const row = await db().selectFrom('connections').selectAll().where('org_id', '=', user.orgId).where('user_id', '=', user.userId).executeTakeFirstOrThrow();
    expect(row.authorized_at).not.toBeNull();
    expect(row.return_url).toBe(RETURN_URL);
    const ledger = await db().selectFrom('grant_ledger').selectAll().where('connection_id', '=', row.id).execute();
    expect(ledger).toHaveLength(1);
    expect(ledger[0]).toMatchObject({ provider: 'salesforce', client_id: rig.clientId, org_id: user.orgId, user_id: user.userId, live: true });

    // The stored access token is served as is: no refresh needed right after connecting.
    const refreshes = rig.emu.stats().refresh_attempts;
    const token = await rig.server.api('GET', `/v1/connections/${walk.id}/token`);
    expect(token.status).toBe(200);
    expect(token.body).toMatchObject({ generation: 1, instance_url: rig.emu.instanceUrl });
    expect(rig.emu.stats().refresh_attempts).toBe(refreshes);
    // And the refresh token works.
    expect((await rig.server.api('POST', `/v1/connections/${walk.id}/refresh`)).status).toBe(200);
  });

  test('without return_url the callback shows a result page', async () => {
    const s = await session({ end_user: { id: 'no-return' } });
    const walk = await walkFlow(s.url, rig.user().username);
    expect(walk.callback.status).toBe(200);
    const html = await walk.callback.text();
    expect(html).toContain('Your Salesforce account is connected');
    expect(html).toMatch(/conn_[0-9a-f]{32}/);
    expect(walk.callback.headers.get('x-frame-options')).toBe('DENY');
  });

  test('a replayed, forged or cookieless callback is a 4xx page, never a redirect', async () => {
    const user = rig.user();
    const walk = await connectAs(user.username, 'replay');
    const count = await connectionCount();
    // The same callback again, cookie and all.
    const replay = await fetch(walk.callbackUrl, { redirect: 'manual', headers: { cookie: walk.cookie } });
    expect(replay.status).toBe(400);
    expect(replay.headers.get('location')).toBeNull();
    expect(await replay.text()).toContain('already completed');
    // A state nobody started.
    const forged = new URL(walk.callbackUrl);
    forged.searchParams.set('state', 'x'.repeat(43));
    const res = await fetch(forged, { redirect: 'manual', headers: { cookie: walk.cookie } });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect((await fetch(`${rig.publicUrl}/oauth/callback`, { redirect: 'manual' })).status).toBe(400);
    expect((await fetch(`${rig.publicUrl}/oauth/callback?state=%3Cscript%3E&code=1`, { redirect: 'manual' })).status).toBe(400);

    // A genuine callback in a browser that did not start the flow: refused, and not used up.
    const s = await session({ end_user: { id: 'cookieless' }, return_url: RETURN_URL });
    const cookieless = await walkFlow(s.url, user.username, { withCookie: false });
    expect(cookieless.callback.status).toBe(400);
    expect(cookieless.location).toBeNull();
    expect(await cookieless.callback.text()).toContain('cookie is missing');
    // A wrong cookie value under the right name.
    const wrong = cookieless.cookie.replace(/=.*/, '=test1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    expect((await fetch(cookieless.callbackUrl, { redirect: 'manual', headers: { cookie: wrong } })).status).toBe(400);
    expect(await connectionCount()).toBe(count);
    // The browser that started it can still finish.
    const finished = await fetch(cookieless.callbackUrl, { redirect: 'manual', headers: { cookie: cookieless.cookie } });
    expect(finished.status).toBe(302);
    expect(new URL(finished.headers.get('location')!).searchParams.get('status')).toBe('success');
  });

  test.each([
    ['the user denies', 'access_denied'],
    ['the token response has no refresh token', 'no_refresh_token'],
    ['the code exchange is rejected', 'code_exchange_failed'],
    ['the flow took too long', 'session_expired'],
  ])('%s → return_url?status=error&error=%s, nothing stored', async (_name, code) => {
    const user = rig.user();
    const count = await connectionCount();
    const ledger = await db().selectFrom('grant_ledger').select('id').execute();
    const s = await session({ end_user: { id: `fail-${code}` }, return_url: RETURN_URL });
    if (code === 'no_refresh_token') {
      const tokens = rig.emu.issueTokens({ clientId: rig.clientId, username: rig.user().username });
      rig.emu.setFault({ status: 200, count: 1, body: { ...tokens, refresh_token: undefined } });
    }
    if (code === 'code_exchange_failed') rig.emu.setFault({ status: 400, count: 1, body: { error: 'invalid_grant', error_description: 'expired authorization code' } });
    let walk;
    if (code === 'session_expired') {
      // The flow's own deadline is set by the POST: expire it between the POST and the callback.
      const start = await fetch(s.url, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
      await db().updateTable('connect_sessions').set({ flow_expires_at: new Date(Date.now() - 1000) }).where('token_hash', '=', sha256Hex(s.token)).execute();
      const authorize = new URL(start.headers.get('location')!);
      authorize.searchParams.set('login_hint', user.username);
      authorize.searchParams.set('emulator_auto_approve', 'allow');
      const provider = await fetch(authorize, { redirect: 'manual' });
      const callback = await fetch(provider.headers.get('location')!, { redirect: 'manual', headers: { cookie: start.headers.getSetCookie()[0]!.split(';')[0]! } });
      walk = { callback, location: new URL(callback.headers.get('location')!) };
    } else {
      walk = await walkFlow(s.url, user.username, { decision: code === 'access_denied' ? 'deny' : 'allow' });
    }
    rig.emu.clearFaults();
    expect(walk.callback.status).toBe(302);
    expect(walk.location!.origin + walk.location!.pathname).toBe('https://product.example/integrations/done');
    expect(walk.location!.searchParams.get('status')).toBe('error');
    expect(walk.location!.searchParams.get('error')).toBe(code);
    expect(walk.location!.searchParams.get('connection_id')).toBeNull();
    expect(await connectionCount()).toBe(count);
    expect((await db().selectFrom('grant_ledger').select('id').execute()).length).toBe(ledger.length);
  });

  test('an error without return_url is a result page naming the error code', async () => {
    const s = await session({ end_user: { id: 'deny-page' } });
    const walk = await walkFlow(s.url, rig.user().username, { decision: 'deny' });
    expect(walk.callback.status).toBe(400);
    expect(walk.location).toBeNull();
    expect(await walk.callback.text()).toContain('Error code: access_denied');
  });

  test('the same end user authorizing the same account again updates the connection in place and revokes the replaced token', async () => {
    const user = rig.user();
    const first = await connectAs(user.username, 'again');
    const oldToken = approvalsOf(user.userId)[0]!.refresh_token!;
    const second = await connectAs(user.username, 'again');
    expect(second.id).toBe(first.id);
    const conn = await rig.connection(first.id);
    expect(conn).toMatchObject({ status: 'active', generation: 2 });
    expect(await outboxFor('connection.reconnected', first.id)).toHaveLength(1);
    expect(await outboxFor('connection.created', first.id)).toHaveLength(1);
    const history = await rig.events(first.id);
    expect(history.map((e: any) => [e.type, e.trigger])).toEqual([['reconnect', 'connect'], ['connect', 'connect']]);
    await until('the replaced token revoked', () => rig.emu.refreshTokenStatus(oldToken).status === 'revoked', 10_000);
    const ledger = await db().selectFrom('grant_ledger').selectAll().where('user_id', '=', user.userId).orderBy('issued_at').execute();
    expect(ledger.map((g) => [g.live, g.ended_reason])).toEqual([[false, 'replaced'], [true, null]]);
    // The new grant is the one stored: it refreshes.
    expect((await rig.server.api('POST', `/v1/connections/${first.id}/refresh`)).status).toBe(200);

    // Another end user authorizing the same Salesforce user gets a connection of their own.
    const other = await connectAs(user.username, 'again-other');
    expect(other.id).not.toBe(first.id);
  });

  test('an in-place update waits while a refresh holds the lease, then stores the new grant', async () => {
    const user = rig.user();
    const first = await connectAs(user.username, 'leased');
    // A refresh holds the lease for as long as the provider takes to answer it.
    rig.emu.setRefreshHold(2_000);
    try {
      const refresh = rig.server.api('POST', `/v1/connections/${first.id}/refresh`);
      await until('the refresh holding the lease', async () => (await rig.events(first.id)).some((e) => e.outcome === 'in_flight'), 10_000);
      const s = await session({ end_user: { id: 'leased' }, return_url: RETURN_URL });
      const walk = await walkFlow(s.url, user.username);
      expect(Object.fromEntries(walk.location!.searchParams)).toMatchObject({ status: 'success', connection_id: first.id });
      expect((await refresh).status).toBe(200);
      // The code was exchanged while the refresh still waited for its answer: the new grant
      // was ready to be stored while the lease was held.
      expect(rig.emu.requestLog({ endpoint: 'token', limit: 2 }).map((entry) => entry.grant_type)).toEqual(['authorization_code', 'refresh_token']);
    } finally {
      rig.emu.setRefreshHold(0);
    }
    // It went in only after the refresh had committed (database time), on top of it: had it
    // been written under the lease, the refresh's compare-and-set would have lost (generation 2).
    const row = await db().selectFrom('connections').select(['generation', 'last_refreshed_at']).where('id', '=', rowId(first.id)).executeTakeFirstOrThrow();
    expect(Number(row.generation)).toBe(3);
    const history = await rig.events(first.id);
    expect(history.map((e) => [e.type, e.outcome])).toEqual([
      ['reconnect', 'success'],
      ['refresh', 'success'],
      ['connect', 'success'],
    ]);
    expect(Date.parse(history[0].at)).toBeGreaterThanOrEqual(row.last_refreshed_at!.getTime());
    expect(await rig.connection(first.id)).toMatchObject({ status: 'active', consecutive_failures: 0 });
  });

  test('reconnect link: a needs_reauth connection is revoked before redirecting, then restored in place with the same id', async () => {
    const user = rig.user();
    const { id } = await connectAs(user.username, 'reconnector');
    const deadToken = approvalsOf(user.userId)[0]!.refresh_token!;
    rig.emu.revokeApproval(deadToken);
    const failed = await rig.server.api('POST', `/v1/connections/${id}/refresh`);
    expect(failed.status).toBe(409);
    expect(failed.body.connection.status).toBe('needs_reauth');
    const reconnectUrl = failed.body.reconnect_url as string;
    expect(reconnectUrl.startsWith(`${rig.publicUrl}/reconnect/${id}?sig=`)).toBe(true);

    // Link checks: a wrong signature and a wrong connection are refused.
    expect((await fetch(reconnectUrl.replace(/sig=.*/, 'sig=1.test1.AAAA'))).status).toBe(403);
    expect((await fetch(reconnectUrl.slice(0, -3) + 'AAA')).status).toBe(403);
    expect((await fetch(reconnectUrl.replace(id, `conn_${'0'.repeat(32)}`))).status).toBe(403);

    const page = await fetch(reconnectUrl);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Reconnect your Salesforce account');
    expect(html).toContain('Why you are asked again');
    expect(html).toContain(failed.body.diagnosis.summary.replace(/'/g, '&#39;').replace(/"/g, '&#34;'));
    const action = /<form method="post" action="([^"]+)"/.exec(html)![1]!;
    expect(action).toMatch(new RegExp(`^${rig.publicUrl}/connect/ct_`));
    // A GET never uses the session up; a second visit shows the same one (the link stays valid).
    expect(/<form method="post" action="([^"]+)"/.exec(await (await fetch(reconnectUrl)).text())![1]).toBe(action);

    const walk = await walkFlow(action, user.username);
    const queued = await db().selectFrom('revocations').selectAll().where('connection_id', '=', rowId(id)).execute();
    expect(queued).toHaveLength(1);
    expect(walk.callback.status).toBe(302);
    // The connection's last return_url.
    expect(walk.location!.origin + walk.location!.pathname).toBe('https://product.example/integrations/done');
    expect(walk.location!.searchParams.get('connection_id')).toBe(id);
    expect(walk.location!.searchParams.get('status')).toBe('success');
    const conn = await rig.connection(id);
    // A reconnect link's session verifies by default (Salesforce): the new grant, then its verification refresh.
    expect(conn).toMatchObject({ status: 'active', consecutive_failures: 0, last_error: null, diagnosis: null, generation: failed.body.connection.generation + 2 });
    expect(await outboxFor('connection.reconnected', id)).toHaveLength(1);
    // The dead token is not revoked a second time after the new one is stored.
    expect(await db().selectFrom('revocations').selectAll().where('connection_id', '=', rowId(id)).execute()).toHaveLength(1);
    const token = await rig.server.api('GET', `/v1/connections/${id}/token`);
    expect(token.status).toBe(200);
    expect((await rig.server.api('POST', `/v1/connections/${id}/refresh`)).status).toBe(200);
  });

  test("an admin-fixable dead grant: the reconnect page passes the admin's steps on, and starting revokes the old token first", async () => {
    const user = rig.user();
    const { id } = await connectAs(user.username, 'inactive');
    rig.emu.deactivateUser(user.userId);
    const failed = await rig.server.api('POST', `/v1/connections/${id}/refresh`);
    expect(failed.body.diagnosis).toMatchObject({ code: 'user_inactive', who_fixes: 'org_admin' });
    const html = await (await fetch(failed.body.reconnect_url)).text();
    expect(html).toContain('Salesforce administrator may need to do this first');
    expect(html).not.toContain('reconnect_url');
    const action = /<form method="post" action="([^"]+)"/.exec(html)![1]!;
    const start = await fetch(action, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    expect(start.status).toBe(302);
    const queued = await db().selectFrom('revocations').select(['connection_id', 'revoke_url']).where('connection_id', '=', rowId(id)).execute();
    expect(queued).toEqual([{ connection_id: rowId(id), revoke_url: `${rig.emu.url}/services/oauth2/revoke` }]);
    rig.emu.reactivateUser(user.userId);
  });

  test('a reconnect as a different Salesforce user is refused (account_mismatch), the connection untouched, the new grant revoked', async () => {
    const owner = rig.user();
    const intruder = rig.user();
    const { id } = await connectAs(owner.username, 'mismatch');
    const before = await db().selectFrom('connections').selectAll().where('id', '=', rowId(id)).executeTakeFirstOrThrow();
    const s = await session({ end_user: { id: 'mismatch' }, connection_id: id, return_url: RETURN_URL });
    const walk = await walkFlow(s.url, intruder.username);
    expect(walk.callback.status).toBe(302);
    expect(Object.fromEntries(walk.location!.searchParams)).toMatchObject({ status: 'error', error: 'account_mismatch', connection_id: id });
    const after = await db().selectFrom('connections').selectAll().where('id', '=', rowId(id)).executeTakeFirstOrThrow();
    expect(after).toEqual(before);
    await until("the intruder's grant revoked", () => approvalsOf(intruder.userId).every((a) => a.revoked), 10_000);
    const ledger = await db().selectFrom('grant_ledger').selectAll().where('user_id', '=', intruder.userId).execute();
    expect(ledger.map((g) => [g.connection_id, g.live, g.ended_reason])).toEqual([[null, false, 'account_mismatch']]);
  });

  test('six end users authorizing one Salesforce user: the first gets grant_limit_warning, then fails as token_limit_evicted', async () => {
    const shared = rig.user();
    const ids: string[] = [];
    for (let i = 1; i <= 6; i++) {
      ids.push((await connectAs(shared.username, `limit-${i}`)).id);
      if (i === 5) expect(await rig.outbox('connection.grant_limit_warning')).toHaveLength(0);
    }
    expect(new Set(ids).size).toBe(6);
    expect(rig.emu.stats().evictions).toBeGreaterThanOrEqual(1);

    const warnings = (await rig.outbox('connection.grant_limit_warning')).filter((e) => ids.includes(e.payload.data.connection.id));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.payload.data).toMatchObject({ connection: { id: ids[0] }, newer_connection_id: ids[5] });
    const events = await rig.events(ids[0]);
    expect(events[0]).toMatchObject({ type: 'grant_limit_warning', trigger: 'connect' });
    const ledger = await db().selectFrom('grant_ledger').selectAll().where('user_id', '=', shared.userId).orderBy('issued_at').execute();
    expect(ledger.map((g) => g.live)).toEqual([false, true, true, true, true, true]);
    expect(ledger[0]!.ended_reason).toBe('evicted_by_limit');

    // The grant that pushed it out may be gone by the time it fails: it still counts as evidence.
    expect((await rig.server.api('DELETE', `/v1/connections/${ids[5]}`)).status).toBe(204);
    const dead = await rig.server.api('POST', `/v1/connections/${ids[0]}/refresh`);
    expect(dead.status).toBe(409);
    expect(dead.body.diagnosis).toMatchObject({ code: 'token_limit_evicted', who_fixes: 'end_user', confidence: 'certain' });
    // The five newer grants still work.
    expect((await rig.server.api('POST', `/v1/connections/${ids[1]}/refresh`)).status).toBe(200);
  });

  test('a custom oauth2 provider (the emulator in generic mode): connect, then reconnect in place by connection_id', async () => {
    rig.emu.createApp({ clientId: 'generic-connect', clientSecret: 'generic-secret', callbackUrls: [`${rig.publicUrl}/oauth/callback`], mode: 'generic' });
    const created = await rig.server.api('POST', '/v1/integrations', {
      key: 'generic-connect',
      provider: 'oauth2',
      client_id: 'generic-connect',
      client_secret: 'generic-secret',
      authorization_url: `${rig.emu.url}/oauth2/authorize`,
      token_url: `${rig.emu.url}/oauth2/token`,
      revoke_url: `${rig.emu.url}/oauth2/revoke`,
      client_auth: 'body',
      scopes: ['api', 'refresh_token'],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const user = rig.user();
    const s = await rig.server.api('POST', '/v1/connect-sessions', { integration: 'generic-connect', end_user: { id: 'generic' }, return_url: RETURN_URL });
    const walk = await walkFlow(s.body.url, user.username);
    expect(walk.authorizeUrl.pathname).toBe('/oauth2/authorize');
    expect(walk.location!.searchParams.get('status')).toBe('success');
    const id = walk.location!.searchParams.get('connection_id')!;
    const conn = await rig.connection(id);
    expect(conn).toMatchObject({ integration: 'generic-connect', status: 'active', generation: 1, provider_account: { org_id: null, user_id: null } });
    // expires_in (3600 s in generic mode) sets the expiry.
    const lifetimeS = (Date.parse(conn.access_token_expires_at) - Date.now()) / 1000;
    expect(lifetimeS).toBeGreaterThan(3500);
    expect(lifetimeS).toBeLessThanOrEqual(3600);

    const again = await rig.server.api('POST', '/v1/connect-sessions', { integration: 'generic-connect', end_user: { id: 'generic' }, connection_id: id, return_url: RETURN_URL });
    const second = await walkFlow(again.body.url, user.username);
    expect(Object.fromEntries(second.location!.searchParams)).toMatchObject({ status: 'success', connection_id: id });
    expect((await rig.connection(id)).generation).toBe(2);
    expect((await rig.server.api('POST', `/v1/connections/${id}/refresh`)).status).toBe(200);
  });
});

describe.each(BACKENDS)('connect under the "immediately expire" policy on %s', (backend) => {
  test('verified by default: the flow ends in error=immediate_expiry_policy (certain, org_admin), the connection stored needs_reauth', async () => {
    const rig = await startConnectRig(backend, { app: { refreshTokenPolicy: 'immediate' }, logName: 'connect-immediate' });
    try {
      const user = rig.user();
      const s = await rig.server.api('POST', '/v1/connect-sessions', { integration: rig.integrationKey, end_user: { id: 'imm' }, return_url: RETURN_URL });
      expect(s.body.verify).toBe(true);
      const walk = await walkFlow(s.body.url, user.username);
      const params = Object.fromEntries(walk.location!.searchParams);
      expect(params).toMatchObject({ status: 'error', error: 'immediate_expiry_policy', connection_id: expect.stringMatching(/^conn_/) });
      const conn = await rig.connection(params.connection_id!);
      expect(conn.status).toBe('needs_reauth');
      expect(conn.diagnosis).toMatchObject({ code: 'immediate_expiry_policy', who_fixes: 'org_admin', confidence: 'certain' });
      const refreshes = (await rig.events(params.connection_id!)).filter((e) => e.type === 'refresh');
      expect(refreshes.map((e) => e.trigger).sort()).toEqual(['connect', 'retry']); // the verification and its confirmation
    } finally {
      await rig.stop();
    }
  });

  test('verify: false: the flow succeeds, and the first refresh names both causes (the policy, or a revoke)', async () => {
    const rig = await startConnectRig(backend, { app: { refreshTokenPolicy: 'immediate' }, logName: 'connect-immediate-unverified' });
    try {
      const user = rig.user();
      const s = await rig.server.api('POST', '/v1/connect-sessions', { integration: rig.integrationKey, end_user: { id: 'imm' }, return_url: RETURN_URL, verify: false });
      expect(s.body.verify).toBe(false);
      const walk = await walkFlow(s.body.url, user.username);
      const id = walk.location!.searchParams.get('connection_id')!;
      expect(walk.location!.searchParams.get('status')).toBe('success');
      const res = await rig.server.api('POST', `/v1/connections/${id}/refresh`);
      expect(res.status).toBe(409);
      expect(res.body.diagnosis).toMatchObject({ code: 'immediate_expiry_or_revoked', who_fixes: 'end_user', confidence: 'probable' });
    } finally {
      await rig.stop();
    }
  });
});

describe('return_url rules', () => {
  test('http(s) only; with an allowlist, only its origins, hosts or *.domains', () => {
    expect(returnUrlProblem('https://app.example/x', null)).toBeNull();
    expect(returnUrlProblem('http://localhost:3000/cb', null)).toBeNull();
    for (const bad of ['javascript:alert(1)', 'data:text/html,x', 'ftp://app.example/', '/relative', 'https://user:pw@app.example/']) {
      expect(returnUrlProblem(bad, null), bad).not.toBeNull();
    }
    const allow = ['https://app.example', 'partner.example', '*.tenants.example'];
    expect(returnUrlProblem('https://app.example/done', allow)).toBeNull();
    expect(returnUrlProblem('http://app.example/done', allow)).not.toBeNull(); // another origin
    expect(returnUrlProblem('http://partner.example/x', allow)).toBeNull();
    expect(returnUrlProblem('https://acme.tenants.example/x', allow)).toBeNull();
    expect(returnUrlProblem('https://tenants.example/x', allow)).not.toBeNull();
    expect(returnUrlProblem('https://evil-tenants.example/x', allow)).not.toBeNull();
    expect(returnUrlProblem('https://app.example.evil.test/x', allow)).not.toBeNull();
    expect(withOutcome('https://app.example/done?a=1#frag', { status: 'success' })).toBe('https://app.example/done?a=1&status=success#frag');
  });
});

describe('hosted page rendering', () => {
  test('everything interpolated is escaped', () => {
    const page = startPage({
      integrationKey: '<script>alert(1)</script>',
      providerName: 'Sales"force',
      endUserEmail: "o'neil@example.com",
      action: 'https://gk.example/connect/ct_x?a=1&b=2',
      formTargets: ['https://gk.example', 'https://login.example'],
      returnTo: 'app.example"><b>x</b>',
      expiresAt: new Date(0),
      reconnect: { summary: '<b>dead</b>', adminSteps: ['<i>sign in</i>'] },
    });
    expect(page.html).not.toMatch(/<script>|<b>dead|<i>sign|<b>x/);
    expect(page.html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(page.html).toContain('action="https://gk.example/connect/ct_x?a=1&#38;b=2"');
    expect(page.headers['content-security-policy']).toContain("form-action 'self' https://gk.example https://login.example");
  });
});
