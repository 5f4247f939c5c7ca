// Scopes and integration limits. Every /v1 route in the OpenAPI document is walked with a key
// of each scope (403 `insufficient_scope` exactly where the scope does not reach); a route
// without a declared scope cannot be registered; no dashboard session gets a token; and a key
// limited to one integration learns nothing of another — every answer about a hidden
// integration or connection is the answer about one that does not exist. On both databases.
import Fastify from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { declareRouteScopes } from '../src/api/route-scopes.js';
import { BACKENDS } from './helpers/databases.js';
import { startSalesforceRig, type SalesforceRig } from './helpers/salesforce.js';

type Answer = { status: number; body: any; headers: Headers };

const SCOPES = ['tokens:read', 'proxy', 'connections:read', 'connections:write', 'integrations:write', 'webhooks:write', 'admin'] as const;
/** What each scope reaches, as docs/api-keys.md states it (written out here, not imported). */
const REACHES: Record<string, string[]> = {
  'tokens:read': ['tokens:read', 'proxy'],
  proxy: ['proxy'],
  'connections:read': ['connections:read'],
  'connections:write': ['connections:write', 'connections:read'],
  'integrations:write': ['integrations:write'],
  'webhooks:write': ['webhooks:write'],
  admin: [...SCOPES],
};

const FAKE_CONNECTION = 'conn_0123456789abcdef0123456789abcdef';

describe.each(BACKENDS)('scopes and integration limits on %s', (backend) => {
  let rig: SalesforceRig;
  const secrets: Record<string, string> = {};
  let mine: { id: string };
  let theirs: { id: string };
  let mineIntegrationId: string;
  let otherIntegrationId: string;

  const call = async (key: string | null, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> => {
    const response = await fetch(`${rig.server.url}${path}`, {
      method,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    return { status: response.status, body: parsed, headers: response.headers };
  };
  const admin = (method: string, path: string, body?: unknown) => call(rig.server.key, method, path, body);
  const newKey = async (body: Record<string, unknown>) => {
    const res = await admin('POST', '/v1/api-keys', body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.secret as string;
  };

  beforeAll(async () => {
    rig = await startSalesforceRig(backend, { logName: 'scopes', env: { GRANTKEEPER_LOGIN_MAX_FAILURES: '1000' } });
    for (const scope of SCOPES) secrets[scope] = await newKey({ name: `only ${scope}`, scopes: [scope] });
    // Two integrations; the limited key may see the rig's only.
    expect((await admin('POST', '/v1/integrations', { key: 'hidden-crm', provider: 'salesforce', client_id: 'hidden-client', client_secret: 'hidden-secret' })).status).toBe(201);
    mine = await rig.importGrant(rig.user().username, 'mine');
    const other = await admin('POST', '/v1/connections', {
      integration: 'hidden-crm', end_user: { id: 'theirs' },
      credentials: { refresh_token: 'rt-hidden-not-real', access_token: '00D000000000001!AQhidden', issued_at: new Date().toISOString() },
    });
    expect(other.status).toBe(201);
    theirs = other.body;
    const ids = await rig.server.ctx.db.kysely.selectFrom('integrations').select(['id', 'key']).execute();
    mineIntegrationId = ids.find((i) => i.key === rig.integrationKey)!.id;
    otherIntegrationId = ids.find((i) => i.key === 'hidden-crm')!.id;
  });
  afterAll(async () => {
    await rig?.stop();
  });

  test('every /v1 route declares one scope, and a key gets a route exactly when its scope reaches it', async () => {
    const openapi = (await call(null, 'GET', '/openapi.json')).body;
    const routes: { method: string; path: string; scope: string }[] = [];
    for (const [path, operations] of Object.entries<Record<string, any>>(openapi.paths)) {
      if (!path.startsWith('/v1/')) continue;
      for (const [method, operation] of Object.entries(operations)) {
        const scopes = (operation.security ?? []).flatMap((s: Record<string, string[]>) => s.secretKey ?? []);
        expect(scopes, `${method} ${path}`).toHaveLength(1);
        expect(SCOPES, `${method} ${path}`).toContain(scopes[0]);
        expect(operation.description, `${method} ${path}`).toContain(`Scope: \`${scopes[0]}\``);
        routes.push({ method: method.toUpperCase(), path, scope: scopes[0] });
      }
    }
    expect(routes.length).toBeGreaterThanOrEqual(35);
    expect(routes.map((r) => `${r.method} ${r.path}`)).toEqual(expect.arrayContaining(['GET /v1/connections/{id}/token', 'POST /v1/api-keys', 'DELETE /v1/api-keys/{id}']));
    const byRoute = Object.fromEntries(routes.map((r) => [`${r.method} ${r.path}`, r.scope]));
    expect(byRoute).toMatchObject({
      'GET /v1/connections/{id}/token': 'tokens:read',
      'POST /v1/connections/{id}/refresh': 'tokens:read',
      'POST /v1/connections/{id}/verify': 'connections:write',
      'GET /v1/connections': 'connections:read',
      'POST /v1/connections': 'connections:write',
      'POST /v1/connect-sessions': 'connections:write',
      'GET /v1/stats/refreshes': 'connections:read',
      'GET /v1/spikes': 'connections:read',
      'GET /v1/providers': 'connections:read',
      'POST /v1/integrations': 'integrations:write',
      'POST /v1/webhook-endpoints': 'webhooks:write',
      'GET /v1/api-keys': 'admin',
      'POST /v1/admin/keys/rotate': 'admin',
    });

    for (const route of routes) {
      // Ids that name nothing: an allowed call ends in a 404 or 400 of its own, never a change.
      const path = route.path.replace('{id}', 'x_unknown').replace('{key}', 'unknown-key');
      const body = ['POST', 'PATCH'].includes(route.method) && route.path !== '/v1/admin/keys/rotate' ? {} : undefined;
      for (const scope of SCOPES) {
        const res = await call(secrets[scope]!, route.method, path, body);
        const label = `${route.method} ${route.path} with ${scope}`;
        if (REACHES[scope]!.includes(route.scope)) {
          expect(res.status, label).not.toBe(403);
          expect(res.status, label).toBeLessThan(500);
        } else {
          expect(res.status, label).toBe(403);
          expect(res.body, label).toMatchObject({ code: 'insufficient_scope', required_scope: route.scope, status: 403 });
        }
      }
    }
    // The HEAD twin of a GET route is guarded the same.
    expect((await call(secrets.proxy!, 'HEAD', '/v1/connections')).status).toBe(403);
    expect((await call(secrets['connections:read']!, 'HEAD', '/v1/connections')).status).toBe(200);
  });

  test('proxy never yields a raw token; tokens:read does', async () => {
    const path = `/v1/connections/${mine.id}/token`;
    expect((await call(secrets.proxy!, 'GET', path)).status).toBe(403);
    const token = await call(secrets['tokens:read']!, 'GET', path);
    expect(token.status).toBe(200);
    expect(token.body.access_token).toEqual(expect.any(String));
  });

  describe('dashboard sessions', () => {
    const session = async (key: string) => {
      const res = await fetch(`${rig.server.url}/ui/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key }) });
      expect(res.status).toBe(204);
      const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
      const page = await (await fetch(`${rig.server.url}/ui`, { headers: { cookie } })).text();
      return { cookie, csrf: /name="gk-csrf" content="([^"]+)"/.exec(page)![1]! };
    };

    test('no session obtains an access token — not via /token, /refresh — yet "refresh now" works through /verify', async () => {
      const { cookie, csrf } = await session(rig.server.key);
      const headers = { cookie, 'x-grantkeeper-csrf': csrf };
      const token = await call(null, 'GET', `/v1/connections/${mine.id}/token`, undefined, headers);
      expect(token.status).toBe(403);
      expect(token.body).toMatchObject({ code: 'insufficient_scope', required_scope: 'tokens:read' });
      // Before keys had scopes this answered 200 with the access token.
      const before = rig.emu.stats().refresh_attempts;
      const refresh = await call(null, 'POST', `/v1/connections/${mine.id}/refresh`, undefined, headers);
      expect(refresh.status).toBe(403);
      expect(refresh.body).toMatchObject({ code: 'insufficient_scope', required_scope: 'tokens:read' });
      expect(JSON.stringify(refresh.body)).not.toMatch(/access_token/);
      expect(rig.emu.stats().refresh_attempts).toBe(before);
      // A replayed Idempotency-Key cannot bring one back either: the scope is checked first.
      const replay = await call(null, 'POST', `/v1/connections/${mine.id}/refresh`, undefined, { ...headers, 'idempotency-key': 'replay-1' });
      expect(replay.status).toBe(403);
      // The dashboard's refresh: one provider call, the connection back, no token.
      const verify = await call(null, 'POST', `/v1/connections/${mine.id}/verify`, undefined, headers);
      expect(verify.status).toBe(200);
      expect(rig.emu.stats().refresh_attempts).toBe(before + 1);
      expect(verify.body).toMatchObject({ id: mine.id, status: 'active' });
      expect(verify.body.last_refreshed_at).not.toBeNull();
      expect(JSON.stringify(verify.body)).not.toMatch(/access_token"|00D[A-Za-z0-9]{12}!/);
    });

    test('a session carries its key\'s scopes and limits: a read-only key reads, and every write is refused', async () => {
      const readOnly = await newKey({ name: 'viewer', scopes: ['connections:read'], integrations: [rig.integrationKey] });
      const { cookie, csrf } = await session(readOnly);
      const headers = { cookie, 'x-grantkeeper-csrf': csrf };
      const list = await call(null, 'GET', '/v1/connections', undefined, headers);
      expect(list.status).toBe(200);
      expect(list.body.data.map((c: any) => c.id)).toEqual([mine.id]);
      for (const [method, path, body] of [
        ['POST', `/v1/connections/${mine.id}/verify`, undefined],
        ['POST', `/v1/connections/${mine.id}/reconnect-link`, undefined],
        ['PATCH', `/v1/connections/${mine.id}`, { metadata: { x: 1 } }],
        ['DELETE', `/v1/connections/${mine.id}`, undefined],
        ['POST', '/v1/webhook-endpoints', { url: 'http://127.0.0.1:9/x' }],
      ] as const) {
        const res = await call(null, method, path, body, headers);
        expect(res.status, `${method} ${path}`).toBe(403);
        expect(res.body.code).toBe('insufficient_scope');
      }
      expect((await call(null, 'GET', `/v1/connections/${theirs.id}`, undefined, headers)).status).toBe(404);
    });

    test('a key without connections:read cannot open the dashboard', async () => {
      const res = await fetch(`${rig.server.url}/ui/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: secrets['tokens:read'] }) });
      expect(res.status).toBe(403);
      expect(res.headers.get('set-cookie')).toBeNull();
    });
  });

  describe('a key limited to one integration', () => {
    let limited: string;
    const unknownConnection = FAKE_CONNECTION;
    /** The same status, and the same body once the id asked about is blanked out. */
    const expectSame = (hidden: Answer, missing: Answer, hiddenName: string, missingName: string) => {
      expect(hidden.status).toBe(missing.status);
      expect(JSON.stringify(hidden.body).replaceAll(hiddenName, '«id»')).toBe(JSON.stringify(missing.body).replaceAll(missingName, '«id»'));
    };

    beforeAll(async () => {
      limited = await newKey({ name: 'one integration', scopes: ['tokens:read', 'connections:write', 'integrations:write'], integrations: [rig.integrationKey] });
      // Refresh counts and a spike on both integrations.
      await rig.server.ctx.db.kysely.insertInto('refresh_stats').values([
        { integration_id: mineIntegrationId, bucket: new Date(Math.floor(Date.now() / 60_000) * 60_000 - 120_000), outcome: 'success', count: 3 },
        { integration_id: otherIntegrationId, bucket: new Date(Math.floor(Date.now() / 60_000) * 60_000 - 120_000), outcome: 'success', count: 40 },
      ]).execute();
      await rig.server.ctx.db.kysely.insertInto('spikes').values({
        id: crypto.randomUUID(), integration_id: otherIntegrationId, org_id: null, started_at: new Date(), last_seen_at: new Date(), count: 9, connection_ids: JSON.stringify([]) as never, diagnosis_code: null,
      }).execute();
    });

    test('lists show only its integration', async () => {
      const integrations = await call(limited, 'GET', '/v1/integrations');
      expect(integrations.body.data.map((i: any) => i.key)).toEqual([rig.integrationKey]);
      const connections = await call(limited, 'GET', '/v1/connections?limit=500');
      expect(connections.body.data.map((c: any) => c.id)).toEqual([mine.id]);
      expectSame(await call(limited, 'GET', '/v1/connections?integration=hidden-crm'), await call(limited, 'GET', '/v1/connections?integration=no-such'), 'hidden-crm', 'no-such');
      expect((await call(limited, 'GET', '/v1/connections?integration=hidden-crm')).body.data).toEqual([]);
      const spikes = await call(limited, 'GET', '/v1/spikes');
      expect(spikes.body.data).toEqual([]);
      expect((await admin('GET', '/v1/spikes')).body.data).toHaveLength(1);
      expectSame(await call(limited, 'GET', '/v1/spikes?integration=hidden-crm'), await call(limited, 'GET', '/v1/spikes?integration=no-such'), 'hidden-crm', 'no-such');
      const stats = await call(limited, 'GET', '/v1/stats/refreshes?bucket=hour');
      const adminStats = await admin('GET', '/v1/stats/refreshes?bucket=hour');
      expect(adminStats.body.totals.success - stats.body.totals.success).toBe(40);
      const counts = await call(limited, 'GET', '/v1/stats/connections');
      expect(counts.body.integrations.map((i: any) => i.integration)).toEqual([rig.integrationKey]);
      expect(counts.body.total).toBe(1);
      expectSame(await call(limited, 'GET', '/v1/stats/connections?integration=hidden-crm'), await call(limited, 'GET', '/v1/stats/connections?integration=no-such'), 'hidden-crm', 'no-such');
      expectSame(await call(limited, 'GET', '/v1/stats/refreshes?integration=hidden-crm'), await call(limited, 'GET', '/v1/stats/refreshes?integration=no-such'), 'hidden-crm', 'no-such');
    });

    test('its integration and connections answer; the others answer as if they did not exist', async () => {
      expect((await call(limited, 'GET', `/v1/integrations/${rig.integrationKey}`)).status).toBe(200);
      expect((await call(limited, 'GET', `/v1/connections/${mine.id}`)).status).toBe(200);
      expect((await call(limited, 'GET', `/v1/connections/${mine.id}/token`)).status).toBe(200);
      for (const [method, suffix, body] of [
        ['GET', '', undefined],
        ['PATCH', '', { metadata: { x: 1 } }],
        ['GET', '/events', undefined],
        ['GET', '/token', undefined],
        ['POST', '/refresh', undefined],
        ['POST', '/verify', undefined],
        ['POST', '/reconnect-link', undefined],
        ['DELETE', '', undefined],
      ] as const) {
        const hidden = await call(limited, method, `/v1/connections/${theirs.id}${suffix}`, body);
        const missing = await call(limited, method, `/v1/connections/${unknownConnection}${suffix}`, body);
        expect(hidden.status, `${method} ${suffix}`).toBe(404);
        expectSame(hidden, missing, theirs.id, unknownConnection);
      }
      for (const [method, body] of [['GET', undefined], ['PATCH', { refresh: { margin_s: 60 } }], ['DELETE', undefined]] as const) {
        const hidden = await call(limited, method, '/v1/integrations/hidden-crm', body);
        expect(hidden.status, method).toBe(404);
        expectSame(hidden, await call(limited, method, '/v1/integrations/no-such', body), 'hidden-crm', 'no-such');
      }
      // Creating an integration outside its list is refused before looking, so it says nothing of existence.
      const createHidden = await call(limited, 'POST', '/v1/integrations', { key: 'hidden-crm', provider: 'salesforce', client_id: 'x' });
      expect(createHidden.status).toBe(403);
      expectSame(createHidden, await call(limited, 'POST', '/v1/integrations', { key: 'no-such', provider: 'salesforce', client_id: 'x' }), 'hidden-crm', 'no-such');
      // Imports and connect sessions into a hidden integration, or for a hidden connection.
      const importInto = (integration: string) => call(limited, 'POST', '/v1/connections', { integration, end_user: { id: 'u' }, credentials: { refresh_token: 'rt-never-stored' } });
      const hiddenImport = await importInto('hidden-crm');
      expect(hiddenImport.status).toBe(400);
      expectSame(hiddenImport, await importInto('no-such'), 'hidden-crm', 'no-such');
      const sessionFor = (integration: string) => call(limited, 'POST', '/v1/connect-sessions', { integration, end_user: { id: 'u' } });
      expectSame(await sessionFor('hidden-crm'), await sessionFor('no-such'), 'hidden-crm', 'no-such');
      const reconnect = (connectionId: string) => call(limited, 'POST', '/v1/connect-sessions', { integration: rig.integrationKey, end_user: { id: 'theirs' }, connection_id: connectionId });
      const hiddenReconnect = await reconnect(theirs.id);
      expect(hiddenReconnect.status).toBe(400);
      expectSame(hiddenReconnect, await reconnect(unknownConnection), theirs.id, unknownConnection);
      // Nothing happened to the hidden ones.
      const still = await admin('GET', `/v1/connections/${theirs.id}`);
      expect(still.status).toBe(200);
      expect(still.body.metadata).toEqual({});
      expect((await admin('GET', '/v1/integrations/hidden-crm')).body.refresh.margin_s).toBe(300);
      const rows = await sql<{ n: number }>`SELECT count(*)::int AS n FROM connect_sessions`.execute(rig.server.ctx.db.kysely);
      expect(rows.rows[0]!.n).toBe(0);
    });
  });
});

test('a /v1 route without a declared scope cannot be registered', async () => {
  const app = Fastify();
  const registering = (async () => {
    await app.register(async (v1) => {
      declareRouteScopes(v1);
      v1.get('/v1/forgotten', async () => ({ ok: true }));
    });
    await app.ready();
  })();
  await expect(registering).rejects.toThrow(/GET \/v1\/forgotten declares no scope/);
  const fine = Fastify();
  await fine.register(async (v1) => {
    declareRouteScopes(v1);
    v1.get('/v1/declared', { config: { requiredScope: 'connections:read' } }, async () => ({ ok: true }));
  });
  await fine.ready();
  expect(fine.hasRoute({ method: 'GET', url: '/v1/declared' })).toBe(true);
  await fine.close();
});
