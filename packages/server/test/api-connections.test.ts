import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sql } from 'kysely';
import { BACKENDS } from './helpers/databases.js';
import { startTestServer, type TestServer } from './helpers/server.js';

describe.each(BACKENDS)('connections API on %s', (backend) => {
  let server: TestServer;
  let n = 0;
  const grant = (extra: Record<string, unknown> = {}, credentials: Record<string, unknown> = {}) => ({
    integration: 'sf',
    end_user: { id: `user-${++n}`, email: `user${n}@example.com` },
    credentials: { refresh_token: `5Aep861-refresh-${n}-${Math.random().toString(36).slice(2)}`, ...credentials },
    ...extra,
  });

  beforeAll(async () => {
    server = await startTestServer(backend, {}, { logName: 'api-connections' });
    await server.api('POST', '/v1/integrations', { key: 'sf', provider: 'salesforce', client_id: 'c1', client_secret: 's1' });
    await server.api('POST', '/v1/integrations', { key: 'sf-other', provider: 'salesforce', client_id: 'c2', client_secret: 's2' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  test('imports a grant: the connection object, the provider account from the identity URL, an import event and a created webhook', async () => {
    const res = await server.api('POST', '/v1/connections', grant({ metadata: { plan: 'pro' } }, {
      access_token: '00Dxx0000001gPL!AQ4AQFakeAccessToken',
      instance_url: 'https://acme.my.salesforce.com/',
      id_url: 'https://login.salesforce.com/id/00Dxx0000001gPL/005xx000001Sv6A',
      issued_at: String(Date.now()),
    }));
    expect(res.status).toBe(201);
    const c = res.body;
    expect(c.id).toMatch(/^conn_[0-9a-f]{32}$/);
    expect(c).toMatchObject({
      integration: 'sf',
      status: 'active',
      generation: 1,
      metadata: { plan: 'pro' },
      scopes: ['api', 'refresh_token'],
      consecutive_failures: 0,
      last_error: null,
      diagnosis: null,
      provider_account: { instance_url: 'https://acme.my.salesforce.com', id_url: 'https://login.salesforce.com/id/00Dxx0000001gPL/005xx000001Sv6A' },
    });
    // 15-character ids become their 18-character form.
    expect(c.provider_account.org_id).toHaveLength(18);
    expect(c.provider_account.org_id.startsWith('00Dxx0000001gPL')).toBe(true);
    expect(c.provider_account.user_id).toHaveLength(18);
    expect(JSON.stringify(c)).not.toMatch(/refresh-|FakeAccessToken/);
    const events = await server.api('GET', `/v1/connections/${c.id}/events`);
    expect(events.body.data).toMatchObject([{ type: 'import', trigger: 'import', outcome: 'success' }]);
    const outbox = await server.ctx.db.kysely.selectFrom('outbox').selectAll().where('type', '=', 'connection.created').execute();
    expect(outbox.some((o) => (o.payload as any).data.connection.id === c.id)).toBe(true);
  });

  test('serves a stored valid token without any write', async () => {
    const res = await server.api('POST', '/v1/connections', grant({}, { access_token: '00D000000000001!AQvalidtoken', issued_at: new Date().toISOString() }));
    const id = res.body.id;
    const { db } = server.ctx;
    const rowId = id.slice(5).replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
    const xmin = async () => (await sql<{ xmin: string }>`SELECT xmin::text AS xmin FROM connections WHERE id = ${rowId}`.execute(db.kysely)).rows[0]!.xmin;
    const eventCount = async () => (await server.api('GET', `/v1/connections/${id}/events`)).body.data.length;
    const before = { xmin: await xmin(), events: await eventCount() };
    for (let i = 0; i < 5; i++) {
      const token = await server.api('GET', `/v1/connections/${id}/token`);
      expect(token.status).toBe(200);
      expect(token.body).toMatchObject({ access_token: '00D000000000001!AQvalidtoken', token_type: 'Bearer', generation: 1 });
    }
    expect(await xmin()).toBe(before.xmin);
    expect(await eventCount()).toBe(before.events);
  });

  test('rejects a refresh token another connection holds (duplicate_grant), matched by fingerprint', async () => {
    const body = grant();
    const first = await server.api('POST', '/v1/connections', body);
    expect(first.status).toBe(201);
    const again = await server.api('POST', '/v1/connections', { ...body, end_user: { id: 'someone-else' }, integration: 'sf-other' });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'duplicate_grant', connection_id: first.body.id });
  });

  test.each([
    ['an unknown integration', grant({ integration: 'nope' }), 'integration'],
    ['a missing refresh token', { integration: 'sf', end_user: { id: 'x' }, credentials: {} }, 'credentials.refresh_token'],
    ['an unknown credential field', grant({}, { password: 'x' }), 'credentials.password'],
    ['a bad issued_at', grant({}, { issued_at: 'yesterday' }), 'credentials.issued_at'],
    ['a non-Salesforce identity URL', grant({}, { id_url: 'https://example.com/whoami' }), 'credentials.id_url'],
    ['a bad email', { ...grant(), end_user: { id: 'x', email: 'not-an-email' } }, 'end_user.email'],
    ['a missing end user', { integration: 'sf', credentials: { refresh_token: 'x' } }, 'end_user'],
  ])('import with %s is a 400 naming the field', async (_name, body, field) => {
    const before = (await server.api('GET', '/v1/connections?limit=500')).body.data.length;
    const res = await server.api('POST', '/v1/connections', body);
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    expect((await server.api('GET', '/v1/connections?limit=500')).body.data.length).toBe(before);
  });

  test('unknown or malformed ids are 404 problems', async () => {
    for (const id of ['conn_00000000000000000000000000000000', 'conn_xyz', 'nope', '%00']) {
      const res = await server.api('GET', `/v1/connections/${id}`);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('not_found');
    }
    expect((await server.api('GET', '/v1/connections/conn_xyz/token')).status).toBe(404);
    expect((await server.api('DELETE', '/v1/connections/conn_xyz')).status).toBe(404);
  });

  test('lists with filters and cursors', async () => {
    const mine = [];
    for (let i = 0; i < 5; i++) mine.push((await server.api('POST', '/v1/connections', grant({ integration: 'sf-other' }, { id_url: 'https://login.salesforce.com/id/00D5g000004ABCDEAA/005000000000001AAA' }))).body.id);
    const byIntegration = await server.api('GET', '/v1/connections?integration=sf-other&limit=500');
    expect(byIntegration.body.data.map((c: { id: string }) => c.id)).toEqual(expect.arrayContaining(mine));
    expect(byIntegration.body.data.every((c: { integration: string }) => c.integration === 'sf-other')).toBe(true);
    const byOrg = await server.api('GET', '/v1/connections?org_id=00D5g000004ABCDEAA');
    expect(byOrg.body.data.map((c: { id: string }) => c.id).sort()).toEqual([...mine].sort());
    const oneUser = (await server.api('GET', `/v1/connections/${mine[0]}`)).body.end_user.id;
    const byUser = await server.api('GET', `/v1/connections?end_user_id=${oneUser}`);
    expect(byUser.body.data.map((c: { id: string }) => c.id)).toEqual([mine[0]]);
    expect((await server.api('GET', '/v1/connections?status=needs_reauth')).body.data).toEqual([]);
    expect((await server.api('GET', '/v1/connections?status=broken')).status).toBe(400);
    expect((await server.api('GET', '/v1/connections?integration=unknown')).body.data).toEqual([]);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await server.api('GET', `/v1/connections?integration=sf-other&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.body.data.map((c: { id: string }) => c.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(mine));
  });

  test('patches metadata only', async () => {
    const id = (await server.api('POST', '/v1/connections', grant())).body.id;
    const patched = await server.api('PATCH', `/v1/connections/${id}`, { metadata: { team: 'blue' } });
    expect(patched.status).toBe(200);
    expect(patched.body.metadata).toEqual({ team: 'blue' });
    expect((await server.api('PATCH', `/v1/connections/${id}`, { status: 'active' })).status).toBe(400);
  });

  test('delete: 204, gone, a revocation queued with the token encrypted', async () => {
    const body = grant();
    const id = (await server.api('POST', '/v1/connections', body)).body.id;
    expect((await server.api('DELETE', `/v1/connections/${id}`)).status).toBe(204);
    expect((await server.api('GET', `/v1/connections/${id}`)).status).toBe(404);
    const queued = await server.ctx.db.kysely.selectFrom('revocations').selectAll().orderBy('created_at', 'desc').executeTakeFirstOrThrow();
    expect(queued.revoke_url).toBe('https://login.salesforce.com/services/oauth2/revoke');
    expect(queued.token_enc === null || !queued.token_enc.includes(body.credentials.refresh_token)).toBe(true);
    // The same refresh token may be imported again once its connection is gone.
    expect((await server.api('POST', '/v1/connections', body)).status).toBe(201);
  });

  test('operations endpoints: health, readiness, metrics, OpenAPI, docs', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const ready = await (await fetch(`${server.url}/readyz`)).json();
    expect(ready).toMatchObject({ status: 'ready', database: backend });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('grantkeeper_http_requests_total');
    expect(metrics).toContain('grantkeeper_process_resident_memory_bytes');
    const active = /grantkeeper_connections\{status="active"\} (\d+)/.exec(metrics);
    const listed = (await server.api('GET', '/v1/connections?status=active&limit=500')).body.data.length;
    expect(Number(active?.[1])).toBe(listed);
    const openapi = await (await fetch(`${server.url}/openapi.json`)).json();
    expect(openapi.openapi).toBe('3.1.0');
    for (const path of ['/v1/integrations', '/v1/connections', '/v1/connections/{id}/token', '/v1/connections/{id}/refresh', '/v1/connections/{id}/events']) {
      expect(Object.keys(openapi.paths)).toContain(path);
    }
    expect((await fetch(`${server.url}/docs`, { redirect: 'follow' })).status).toBe(200);
  });
});
