// Opens the one database the process uses: PostgreSQL through pg.Pool, or PGlite plugged
// into the same pg.Pool (pool of one), so every query takes ONE code path.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { DataDirLock } from './data-dir-lock.js';
import { countRoundTrips } from './round-trips.js';
import { openPrivatePglite, tightenModes } from './pglite-files.js';
import type { Database } from './schema.js';

// int8 (counts, generation) as numbers: our counters stay far below 2^53.
pg.types.setTypeParser(20, (value: string) => Number(value));

export type DatabaseKind = 'pglite' | 'postgres';

export interface Db {
  kind: DatabaseKind;
  kysely: Kysely<Database>;
  pool: pg.Pool;
  /** Statements sent so far (db/round-trips.ts). A method: `{ ...db }` copies it live. */
  statements(): number;
  /** LISTEN on a channel (cache invalidation); returns an unsubscribe function. */
  listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface OpenOptions {
  databaseUrl: string | null;
  dataDir: string;
  /** Tests hand in a ready PGlite (cloned from a migrated template). */
  pglite?: PGlite;
  poolSize?: number;
  /** Skip the data-dir lock (tests with an in-memory PGlite). */
  lock?: boolean;
}

export async function openDatabase(options: OpenOptions): Promise<Db & { lock: DataDirLock | null }> {
  if (options.databaseUrl) return { ...(await openPostgres(options.databaseUrl, options.poolSize ?? 10)), lock: null };
  const lock = options.lock === false || options.pglite ? null : DataDirLock.acquire(resolve(options.dataDir));
  try {
    return { ...(await openPglite(options)), lock };
  } catch (error) {
    lock?.release();
    throw error;
  }
}

async function openPostgres(url: string, max: number): Promise<Db> {
  const pool = new pg.Pool({ connectionString: url, max, idleTimeoutMillis: 30_000 });
  // A client losing its server (a restart) must not crash the process: the pool handles idle
  // clients ('error' on the pool); a client busy with a query would otherwise emit an
  // unhandled 'error'. Its query fails, and the pool drops it on release (not queryable).
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const roundTrips = countRoundTrips(pool);
  const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  // One LISTEN connection per instance, re-established after the server restarts; the
  // token cache's short TTL covers notifications missed in between.
  let listener: pg.Client | null = null;
  let connecting: Promise<void> | null = null;
  let closed = false;
  const handlers = new Map<string, Set<(payload: string) => void>>();
  const connectListener = (): Promise<void> =>
    (connecting ??= (async () => {
      const client = new pg.Client({ connectionString: url });
      client.on('notification', (n) => {
        for (const h of handlers.get(n.channel) ?? []) h(n.payload ?? '');
      });
      const reconnect = () => {
        if (listener !== client || closed) return;
        listener = null;
        setTimeout(() => void connectListener().catch(() => reconnect()), 500).unref();
      };
      client.on('error', reconnect);
      client.on('end', reconnect);
      try {
        await client.connect();
        for (const channel of handlers.keys()) await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
        listener = client;
      } catch (error) {
        client.end().catch(() => {});
        if (!closed) setTimeout(() => void connectListener().catch(() => {}), 500).unref();
        throw error;
      } finally {
        connecting = null;
      }
    })());
  return {
    kind: 'postgres',
    kysely,
    pool,
    statements: () => roundTrips.count,
    async listen(channel, onMessage) {
      const isNew = !handlers.has(channel);
      if (isNew) handlers.set(channel, new Set());
      handlers.get(channel)!.add(onMessage);
      if (!listener) await connectListener();
      else if (isNew) await listener.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      return async () => {
        handlers.get(channel)?.delete(onMessage);
      };
    },
    async close() {
      closed = true;
      await listener?.end().catch(() => {});
      await kysely.destroy();
    },
  };
}

async function openPglite(options: OpenOptions): Promise<Db> {
  let pglite = options.pglite;
  const owned = !pglite;
  const dir = owned ? resolve(options.dataDir, 'pgdata') : null;
  if (!pglite) {
    mkdirSync(dir!, { recursive: true, mode: 0o700 });
    pglite = await openPrivatePglite(dir!);
  }
  await pglite.waitReady;
  const pool = new pg.Pool({ ...createPgConfig(pglite), max: 1 });
  pool.on('error', () => {});
  const roundTrips = countRoundTrips(pool);
  const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const db = pglite;
  return {
    kind: 'pglite',
    kysely,
    pool,
    statements: () => roundTrips.count,
    async listen(channel, onMessage) {
      return db.listen(channel, onMessage);
    },
    async close() {
      await kysely.destroy();
      if (owned) await db.close();
      // What PostgreSQL wrote while it ran (its relation cache file is made 0644) is made owner-only too.
      if (dir) tightenModes(dir);
    },
  };
}
