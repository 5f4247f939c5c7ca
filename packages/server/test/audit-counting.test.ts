// Token reads are counted in memory and written as one row per actor, action, connection,
// client address and minute, with the count: by the flusher every GRANTKEEPER_AUDIT_FLUSH_MS,
// once more on shutdown, into the same row across flushes and instances, and kept for the
// next flush when the database refuses one. On both databases, and with two processes.
import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AuditCounter } from '../src/audit/counter.js';
import { flushAuditCounts } from '../src/audit/flush.js';
import type { Database } from '../src/db/schema.js';
import type { Actor } from '../src/domain/access.js';
import { environmentKeyId } from '../src/auth/environment-keys.js';
import { ServerCluster } from './helpers/cluster.js';
import { BACKENDS, createTestDatabase, type BackendKind } from './helpers/databases.js';
import { requestFrom } from './helpers/from-address.js';
import { startTestServer, type TestServer } from './helpers/server.js';

interface CountRow {
  at: Date;
  actor_type: string;
  actor_id: string | null;
  target_id: string | null;
  ip: string | null;
  count: number;
}

/** An integration whose imported grants carry a valid access token: reads need no provider. */
async function connectionWithToken(server: TestServer, key: string): Promise<string> {
  const integration = await server.api('POST', '/v1/integrations', {
    key, provider: 'oauth2', client_id: 'client', authorization_url: 'https://idp.example/authorize', token_url: 'https://idp.example/token',
  });
  expect(integration.status).toBe(201);
  const imported = await server.api('POST', '/v1/connections', {
    integration: key, end_user: { id: `user-${key}` },
    credentials: { refresh_token: `refresh-${key}-${Date.now()}`, access_token: `access-${key}-${Date.now()}` },
  });
  expect(imported.status).toBe(201);
  return imported.body.id as string;
}

async function readTokens(server: TestServer, id: string, times: number): Promise<void> {
  const results = await Promise.all(Array.from({ length: times }, () => server.api('GET', `/v1/connections/${id}/token`)));
  expect(results.map((r) => r.status)).toEqual(results.map(() => 200));
}

const tokenReads = (server: TestServer) =>
  server.ctx.db.kysely.selectFrom('audit_events').select(['at', 'actor_type', 'actor_id', 'target_id', 'ip', 'count']).where('action', '=', 'token.read').orderBy('at').execute();

/** One row per minute, and the counts add up to `total`: how the reads were spread over minutes does not matter. */
function expectOneRowPerMinute(rows: CountRow[], total: number): void {
  const minutes = rows.map((r) => r.at.getTime());
  expect(new Set(minutes).size).toBe(rows.length);
  for (const minute of minutes) expect(minute % 60_000).toBe(0);
  expect(rows.reduce((sum, r) => sum + r.count, 0)).toBe(total);
}

const actor = (id: string): Actor => ({ type: 'api_key', id, name: `key ${id}` });

describe.each(BACKENDS)('counted audit actions on %s', (backend) => {
  let server: TestServer;
  beforeAll(async () => {
    // Flushes happen when the test says (runNow), never on the clock.
    server = await startTestServer(backend, { GRANTKEEPER_AUDIT_FLUSH_MS: '3600000' }, { logName: 'audit-counting' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  test('many token reads become one row per minute with their count; another address is another row', async () => {
    const id = await connectionWithToken(server, 'reads');
    await readTokens(server, id, 40);
    for (let i = 0; i < 5; i++) {
      const other = await requestFrom('127.0.0.2', `${server.url}/v1/connections/${id}/token`, { headers: { authorization: `Bearer ${server.key}` } });
      expect(other.status).toBe(200);
    }
    expect(await tokenReads(server)).toEqual([]); // counted, not yet written
    await server.services.audit.worker.runNow();
    const rows = await tokenReads(server);
    expect(rows.every((r) => r.target_id === id && r.actor_type === 'api_key' && r.actor_id === environmentKeyId(server.key))).toBe(true);
    expectOneRowPerMinute(rows.filter((r) => r.ip === '127.0.0.1'), 40);
    expectOneRowPerMinute(rows.filter((r) => r.ip === '127.0.0.2'), 5);
    expect(rows.filter((r) => r.ip !== '127.0.0.1' && r.ip !== '127.0.0.2')).toEqual([]);
    // Reads that failed handed out no token and are not counted.
    expect((await server.api('GET', '/v1/connections/conn_00000000000000000000000000000000/token')).status).toBe(404);
    await server.services.audit.worker.runNow();
    expect((await tokenReads(server)).reduce((sum, r) => sum + r.count, 0)).toBe(45);
  });

  test('two actors are two rows; a later flush of the same minute adds to its row; the next minute is a new row', async () => {
    const counts = server.ctx.auditCounts;
    const minute = Date.UTC(2030, 0, 1, 12, 0);
    const target = { type: 'connection' as const, id: 'conn_0123456789abcdef0123456789abcdef' };
    for (let i = 0; i < 5; i++) counts.count({ actor: actor('key_a'), ip: '10.0.0.1' }, 'token.read', target, minute + i * 1000);
    for (let i = 0; i < 3; i++) counts.count({ actor: actor('key_b'), ip: '10.0.0.1' }, 'token.read', target, minute + 59_000);
    expect(counts.size).toBe(2);
    expect(await server.services.audit.worker.runNow()).toBe(2);
    counts.count({ actor: actor('key_a'), ip: '10.0.0.1' }, 'token.read', target, minute + 30_000);
    counts.count({ actor: actor('key_a'), ip: '10.0.0.1' }, 'token.read', target, minute + 60_000);
    expect(await server.services.audit.worker.runNow()).toBe(2);
    const rows = (await tokenReads(server)).filter((r) => r.target_id === target.id);
    expect(rows.map((r) => [r.at.toISOString(), r.actor_id, r.count])).toEqual(
      expect.arrayContaining([['2030-01-01T12:00:00.000Z', 'key_a', 6], ['2030-01-01T12:00:00.000Z', 'key_b', 3], ['2030-01-01T12:01:00.000Z', 'key_a', 1]]),
    );
    expect(rows).toHaveLength(3);
  });

  test('a shortened flush interval writes the rows by itself (waited for by its passes, not by the clock)', async () => {
    const quick = await startTestServer(backend, { GRANTKEEPER_AUDIT_FLUSH_MS: '20' }, { logName: 'audit-counting-quick' });
    try {
      const id = await connectionWithToken(quick, 'quick');
      await readTokens(quick, id, 12);
      // A pass that starts after the reads has written them.
      await quick.services.audit.worker.afterPasses(1);
      expectOneRowPerMinute(await tokenReads(quick), 12);
      expect(quick.ctx.auditCounts.size).toBe(0);
    } finally {
      await quick.stop();
    }
  });

  test('a clean shutdown writes what was counted since the last flush', async () => {
    const database = await createTestDatabase(backend);
    const stopping = await startTestServer(backend, { GRANTKEEPER_AUDIT_FLUSH_MS: '3600000' }, { database, logName: 'audit-counting-shutdown' });
    try {
      const id = await connectionWithToken(stopping, 'shutdown');
      await readTokens(stopping, id, 9);
      expect(await tokenReads(stopping)).toEqual([]);
      expect(stopping.services.audit.worker.passes).toBe(0);
      await stopping.close();
      const rows = await readAfterClose(backend, database.url, database.pglite);
      expectOneRowPerMinute(rows, 9);
      expect(rows.every((r) => r.target_id === id)).toBe(true);
    } finally {
      await stopping.close();
      await database.drop();
    }
  });

  test('counts a refused flush could not write stay for the next one', async () => {
    const counter = new AuditCounter();
    const target = { type: 'connection' as const, id: 'conn_fedcba9876543210fedcba9876543210' };
    const minute = Date.UTC(2030, 0, 2, 8, 30);
    for (let i = 0; i < 7; i++) counter.count({ actor: actor('key_c'), ip: null }, 'token.read', target, minute);
    const refusing = await refusingDatabase(backend);
    try {
      await expect(flushAuditCounts(refusing.db, counter)).rejects.toThrow(/audit_events/);
    } finally {
      await refusing.close();
    }
    expect(counter.size).toBe(1);
    counter.count({ actor: actor('key_c'), ip: null }, 'token.read', target, minute);
    expect(await flushAuditCounts(server.ctx.db.kysely, counter)).toBe(1);
    const rows = (await tokenReads(server)).filter((r) => r.target_id === target.id);
    expect(rows.map((r) => r.count)).toEqual([8]);
  });
});

/** The token.read rows of a database whose server has closed. */
async function readAfterClose(backend: BackendKind, url: string | null, lite: PGlite | null): Promise<CountRow[]> {
  const text = "SELECT at, actor_type, actor_id, target_id, ip, count FROM audit_events WHERE action = 'token.read' ORDER BY at";
  if (backend === 'pglite') return (await lite!.query<CountRow>(text)).rows;
  const client = new pg.Client({ connectionString: url! });
  await client.connect();
  try {
    return (await client.query<CountRow>(text)).rows;
  } finally {
    await client.end();
  }
}

/** A real database that refuses the flush (its audit_events table is gone), and how to let it go. */
async function refusingDatabase(backend: BackendKind): Promise<{ db: Kysely<Database>; close(): Promise<void> }> {
  const database = await createTestDatabase(backend);
  const pool = database.pglite ? new pg.Pool({ ...createPgConfig(database.pglite), max: 1 }) : new pg.Pool({ connectionString: database.url!, max: 1 });
  // Dropping the database ends its sessions, which a client still closing hears as an error: expected.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  await sql`DROP TABLE audit_events`.execute(db);
  return { db, close: async () => { await db.destroy(); await database.drop(); } };
}

describe('counted audit actions with two processes on one PostgreSQL', () => {
  let cluster: ServerCluster;
  beforeAll(async () => {
    cluster = await ServerCluster.start(2, { name: 'audit', env: { GRANTKEEPER_AUDIT_FLUSH_MS: '3600000' } });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  test('both instances count into the same row, and each writes its counts when stopped', async () => {
    const { id } = await cluster.importGrant('audit-two@example.com');
    const [first, second] = cluster.servers;
    for (const server of [first!, second!]) {
      const reads = await Promise.all(Array.from({ length: 15 }, () => cluster.call(server, 'GET', `/v1/connections/${id}/token`)));
      expect(reads.map((r) => r.status)).toEqual(reads.map(() => 200));
    }
    const readRows = () => cluster.query<CountRow>("SELECT at, actor_type, actor_id, target_id, ip, count FROM audit_events WHERE action = 'token.read' ORDER BY at");
    expect(await readRows()).toEqual([]);
    expect(await cluster.kill(first!, 'SIGTERM')).toBe(0);
    expect((await readRows()).reduce((sum, r) => sum + r.count, 0)).toBe(15);
    expect(await cluster.kill(second!, 'SIGTERM')).toBe(0);
    const rows = await readRows();
    expectOneRowPerMinute(rows, 30);
    expect(rows.every((r) => r.target_id === id && r.ip === '127.0.0.1' && r.actor_id === environmentKeyId(cluster.env.GRANTKEEPER_SECRET_KEY!))).toBe(true);
  });
});
