// Reading the audit log: GET /v1/audit-events (newest first, keyset pages, filters), the
// NDJSON export (oldest first, streamed in batches), its problems for bad input, the admin
// check, and retention. On both databases.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { AuditEvent } from '../src/api/audit-schemas.js';
import { EXPORT_BATCH } from '../src/api/routes/audit.js';
import { pruneAuditEvents } from '../src/db/retention/prune-audit-events.js';
import { SCOPES } from '../src/domain/access.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { BACKENDS } from './helpers/databases.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/** Seeded rows: more than two export batches, three to a millisecond (ties on `at`). */
const SEEDED = 2 * EXPORT_BATCH + 500;
const BASE = Date.UTC(2031, 4, 1, 9, 0);
const ACTIONS = ['connection.deleted', 'connection.imported', 'integration.updated', 'token.read', 'webhook_endpoint.created'];
const conn = (n: number) => `conn_${n.toString(16).padStart(32, '0')}`;

/** What the seed wrote for row g (1-based), in the API's terms. */
function seeded(g: number) {
  return {
    at: BASE + Math.floor(g / 3),
    actorId: g % 2 === 0 ? 'key_even' : 'key_odd',
    actorType: g % 7 === 0 ? 'system' : 'api_key',
    action: ACTIONS[g % ACTIONS.length]!,
    target: conn(g % 12),
  };
}
const ALL = Array.from({ length: SEEDED }, (_, i) => seeded(i + 1));

describe.each(BACKENDS)('the audit log API on %s', (backend) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(backend, { GRANTKEEPER_AUDIT_FLUSH_MS: '3600000' }, { logName: 'audit-api' });
    await sql`
      INSERT INTO audit_events (id, at, actor_type, actor_id, actor_name, action, target_type, target_id, ip, count)
      SELECT gen_random_uuid(),
             ${new Date(BASE)}::timestamptz + (g / 3) * interval '1 millisecond',
             CASE WHEN g % 7 = 0 THEN 'system' ELSE 'api_key' END,
             CASE WHEN g % 2 = 0 THEN 'key_even' ELSE 'key_odd' END,
             'seeded', (${sql.raw(`ARRAY[${ACTIONS.map((a) => `'${a}'`).join(',')}]`)})[g % ${ACTIONS.length} + 1],
             'connection', 'conn_' || lpad(to_hex(g % 12), 32, '0'), '192.0.2.' || (g % 250), 1
      FROM generate_series(1, ${SEEDED}) AS g`.execute(server.ctx.db.kysely);
  });
  afterAll(async () => {
    await server?.stop();
  });

  const range = `from=${new Date(BASE).toISOString()}&to=${new Date(BASE + 86_400_000).toISOString()}`;

  async function every(query: string, limit: number): Promise<{ rows: AuditEvent[]; pages: number }> {
    const rows: AuditEvent[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await server.api('GET', `/v1/audit-events?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      rows.push(...res.body.data);
      cursor = res.body.next_cursor;
      pages++;
    } while (cursor);
    return { rows, pages };
  }

  test('pages newest first through every row exactly once, ties on the same millisecond included', async () => {
    const { rows, pages } = await every(range, 500);
    expect(rows).toHaveLength(SEEDED);
    expect(pages).toBe(Math.ceil(SEEDED / 500));
    expect(new Set(rows.map((r) => r.id)).size).toBe(SEEDED);
    const times = rows.map((r) => Date.parse(r.at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(rows[0]).toMatchObject({ actor: { name: 'seeded' }, target: { type: 'connection' }, count: 1, detail: null });
    expect(rows[0]!.id).toMatch(/^aud_[0-9a-f]{32}$/);
  });

  test('filters by actor id or type, action or family, connection and time, alone and together', async () => {
    const cases: [string, (r: ReturnType<typeof seeded>) => boolean][] = [
      ['actor=key_even', (r) => r.actorId === 'key_even'],
      ['actor=system', (r) => r.actorType === 'system'],
      ['action=token.read', (r) => r.action === 'token.read'],
      ['action=connection.*', (r) => r.action.startsWith('connection.')],
      // Ids are matched case-insensitively in their hex part, as everywhere in the API.
      [`connection=${conn(11).toUpperCase().replace('CONN_', 'conn_')}`, (r) => r.target === conn(11)],
      [`from=${new Date(BASE + 200).toISOString()}&to=${new Date(BASE + 300).toISOString()}`, (r) => r.at >= BASE + 200 && r.at < BASE + 300],
      [`actor=key_odd&action=connection.*&connection=${conn(5)}`, (r) => r.actorId === 'key_odd' && r.action.startsWith('connection.') && r.target === conn(5)],
    ];
    for (const [query, expected] of cases) {
      const want = ALL.filter(expected).length;
      expect(want, query).toBeGreaterThan(0);
      const { rows } = await every(query.startsWith('from=') ? query : `${query}&${range}`, 500);
      expect(rows.length, query).toBe(want);
    }
  });

  test('bad filters are a 400 naming each field, and change nothing', async () => {
    const before = await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_events`.execute(server.ctx.db.kysely);
    const bad: [string, string][] = [
      ['action=token.write', 'querystring.action'],
      ['action=nothing.*', 'querystring.action'],
      ['connection=we_0123', 'querystring.connection'],
      ['from=yesterday', 'querystring.from'],
      ['to=2031-05-01', 'querystring.to'],
      [`from=${new Date(BASE + 1000).toISOString()}&to=${new Date(BASE).toISOString()}`, 'querystring.from'],
      ['limit=501', 'querystring.limit'],
      ['colour=blue', 'querystring.colour'],
    ];
    for (const path of ['/v1/audit-events', '/v1/audit-events/export']) {
      for (const [query, field] of bad) {
        if (path.endsWith('export') && query.startsWith('limit')) continue;
        const res = await server.api('GET', `${path}?${query}`);
        expect(res.status, `${path}?${query}`).toBe(400);
        expect(res.headers.get('content-type')).toContain('application/problem+json');
        expect(res.body.errors.map((e: { field: string }) => e.field), `${path}?${query}`).toContain(field);
      }
    }
    const cursor = await server.api('GET', '/v1/audit-events?cursor=not-a-cursor');
    expect(cursor.status).toBe(400);
    expect(cursor.body.code).toBe('invalid_cursor');
    const after = await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_events`.execute(server.ctx.db.kysely);
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
    expect((await server.api('GET', '/v1/audit-events', undefined, { authorization: 'Bearer wrong' })).status).toBe(401);
  });

  test('the export streams every row oldest first as NDJSON, across several batches', async () => {
    const res = await fetch(`${server.url}/v1/audit-events/export?${range}`, { headers: { authorization: `Bearer ${server.key}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/x-ndjson');
    // Streamed: no length known up front.
    expect(res.headers.get('content-length')).toBeNull();
    const lines = (await res.text()).split('\n');
    expect(lines.pop()).toBe('');
    const rows = lines.map((line) => JSON.parse(line) as AuditEvent);
    expect(rows).toHaveLength(SEEDED);
    expect(new Set(rows.map((r) => r.id)).size).toBe(SEEDED);
    const times = rows.map((r) => Date.parse(r.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    // The same rows as the list, in the same shape.
    const listed = await every(range, 500);
    const byId = new Map(listed.rows.map((r) => [r.id, r]));
    for (const row of rows) expect(row).toEqual(byId.get(row.id));

    // Filters apply to the export too.
    const filtered = await fetch(`${server.url}/v1/audit-events/export?action=token.read&${range}`, { headers: { authorization: `Bearer ${server.key}` } });
    expect((await filtered.text()).trim().split('\n')).toHaveLength(ALL.filter((r) => r.action === 'token.read').length);
  });

  test('a client leaving in the middle of an export leaves the server serving', async () => {
    const controller = new AbortController();
    const res = await fetch(`${server.url}/v1/audit-events/export`, { headers: { authorization: `Bearer ${server.key}` }, signal: controller.signal });
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    controller.abort();
    await reader.closed.catch(() => {});
    const after = await server.api('GET', '/v1/audit-events?limit=1');
    expect(after.status).toBe(200);
    expect(after.body.data).toHaveLength(1);
  });

  test('the OpenAPI document describes both routes', async () => {
    const openapi = (await server.api('GET', '/openapi.json')).body;
    expect(Object.keys(openapi.paths['/v1/audit-events'])).toEqual(['get']);
    expect(Object.keys(openapi.paths['/v1/audit-events/export'])).toEqual(['get']);
    expect(openapi.paths['/v1/audit-events'].get.tags).toEqual(['audit']);
  });

  test('retention deletes rows older than GRANTKEEPER_AUDIT_RETENTION_DAYS in batches of at most 500, and keeps the rest', async () => {
    const db = server.ctx.db.kysely;
    await sql`INSERT INTO audit_events (id, at, actor_type, action, count)
              SELECT gen_random_uuid(), now() - interval '400 days', 'system', 'connection.deleted', 1 FROM generate_series(1, 1200)`.execute(db);
    await sql`INSERT INTO audit_events (id, at, actor_type, action, count)
              SELECT gen_random_uuid(), now() - interval '364 days', 'system', 'connection.deleted', 1 FROM generate_series(1, 3)`.execute(db);
    const count = async () => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_events`.execute(db)).rows[0]!.n;
    const before = await count();
    // One statement deletes one batch, never more.
    expect(await pruneAuditEvents(db, server.ctx.config.audit.retentionDays, 500)).toBe(500);
    const summary = await server.services.retention.prune();
    expect(summary.auditEvents).toBe(700);
    expect(await count()).toBe(before - 1200);
    const oldest = await sql<{ at: Date }>`SELECT min(at) AS at FROM audit_events`.execute(db);
    expect(Date.now() - oldest.rows[0]!.at.getTime()).toBeLessThan(365 * 86_400_000);
    expect((await server.services.retention.prune()).auditEvents).toBe(0);
  });
});

describe('the audit log is for admin keys', () => {
  test('a key without the admin scope is refused with 403 insufficient_scope, on the list and the export; an admin key passes', async () => {
    const server = await startTestServer('pglite', {}, { logName: 'audit-scope' });
    try {
      const created = await server.api('POST', '/v1/api-keys', { name: 'everything but admin', scopes: SCOPES.filter((s) => s !== 'admin') });
      expect(created.status).toBe(201);
      for (const path of ['/v1/audit-events', '/v1/audit-events/export']) {
        const refused = await server.api('GET', path, undefined, { authorization: `Bearer ${created.body.secret}` });
        expect(refused.status).toBe(403);
        expect(refused.body).toMatchObject({ code: 'insufficient_scope', required_scope: 'admin' });
        expect((await server.api('GET', path)).status).toBe(200);
      }
    } finally {
      await server.stop();
    }
  });
});

describe('the audit settings', () => {
  test('default to a 5 s flush and a year of rows; bad values are reported at start', () => {
    expect(loadConfig({}).audit).toEqual({ flushMs: 5000, retentionDays: 365 });
    expect(loadConfig({ GRANTKEEPER_AUDIT_FLUSH_MS: '250', GRANTKEEPER_AUDIT_RETENTION_DAYS: '30' }).audit).toEqual({ flushMs: 250, retentionDays: 30 });
    const refused = (() => {
      try {
        loadConfig({ GRANTKEEPER_AUDIT_FLUSH_MS: '0', GRANTKEEPER_AUDIT_RETENTION_DAYS: 'forever' });
      } catch (error) {
        return error;
      }
    })();
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as ConfigError).problems.join('\n')).toMatch(/GRANTKEEPER_AUDIT_FLUSH_MS[\s\S]*GRANTKEEPER_AUDIT_RETENTION_DAYS/);
  });
});
