// Runs once before the server tests: compiles (child processes run dist/), migrates a
// PostgreSQL template database and a PGlite template, so each test file gets a fresh
// database by cloning instead of migrating (PGlite's first open costs seconds).
// Several test runs may share the machine (developers, CI): templates are named by a hash
// of the migrations and created once under an advisory lock; only test databases older
// than an hour are swept.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from '../src/db/migrator.js';
import { ADMIN_URL, ARTIFACTS_DIR, PGLITE_TEMPLATE_FILE, POSTGRES_TEMPLATE, TEMPLATE_DIR, postgresUrl } from './helpers/paths.js';

// What a token the Salesforce emulator issued looks like (packages/salesforce-emulator/src/ids.ts):
// access tokens are the org id, `!` and 112 characters; refresh tokens `5Aep861` and 80.
const ISSUED_TOKEN = /00D[A-Za-z0-9]{12}![A-Za-z0-9._]{100,}|5Aep861[A-Za-z0-9._]{70,}/;

/**
 * After the whole run: no log line any server wrote during it holds a token the emulator
 * issued. (Each test also checks its own secrets; this catches every path at once.)
 */
function scanRunLogs(since: number): void {
  const dir = join(ARTIFACTS_DIR, 'logs');
  if (!existsSync(dir)) return;
  const leaks: string[] = [];
  for (const file of readdirSync(dir)) {
    const path = join(dir, file);
    if (statSync(path).mtimeMs < since) continue;
    readFileSync(path, 'utf8').split('\n').forEach((line, i) => {
      if (ISSUED_TOKEN.test(line)) leaks.push(`${file}:${i + 1}`);
    });
  }
  if (leaks.length > 0) throw new Error(`tokens issued by the emulator appear in server logs: ${leaks.slice(0, 10).join(', ')}`);
}

export default async function setup(): Promise<() => void> {
  const startedAt = Date.now();
  // Child-process tests run dist/. Type errors do not stop the emit; `npm test` type-checks
  // separately, so a half-finished file elsewhere does not block running one test file.
  try {
    execFileSync('npx', ['tsc', '-b'], { cwd: new URL('../../..', import.meta.url).pathname, stdio: 'pipe' });
  } catch (error) {
    process.stderr.write(`warning: tsc -b reported errors (dist/ was still emitted):\n${String((error as { stdout?: Buffer }).stdout ?? '')}\n`);
  }
  mkdirSync(TEMPLATE_DIR, { recursive: true });

  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query('SELECT pg_advisory_lock(727274)');
    const cutoff = Math.floor(Date.now() / 1000) - 3600;
    const stale = await admin.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname ~ '^gk_test_[0-9]+_'");
    for (const { datname } of stale.rows) {
      if (Number(datname.split('_')[2]) < cutoff) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [POSTGRES_TEMPLATE]);
    if (exists.rowCount === 0) {
      await admin.query(`CREATE DATABASE "${POSTGRES_TEMPLATE}_building"`).catch(async () => {
        await admin.query(`DROP DATABASE "${POSTGRES_TEMPLATE}_building" WITH (FORCE)`);
        await admin.query(`CREATE DATABASE "${POSTGRES_TEMPLATE}_building"`);
      });
      const pool = new pg.Pool({ connectionString: postgresUrl(`${POSTGRES_TEMPLATE}_building`), max: 1 });
      const kysely = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
      await migrateToLatest(kysely);
      await kysely.destroy();
      await admin.query(`ALTER DATABASE "${POSTGRES_TEMPLATE}_building" RENAME TO "${POSTGRES_TEMPLATE}"`);
    }
  } finally {
    await admin.query('SELECT pg_advisory_unlock(727274)').catch(() => {});
    await admin.end();
  }

  if (!existsSync(PGLITE_TEMPLATE_FILE)) {
    const lite = new PGlite();
    const litePool = new pg.Pool({ ...createPgConfig(lite), max: 1 });
    const liteKysely = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: litePool }) });
    await migrateToLatest(liteKysely);
    await liteKysely.destroy();
    const dump = await lite.dumpDataDir('none');
    const partial = `${PGLITE_TEMPLATE_FILE}.${process.pid}`;
    writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
    renameSync(partial, PGLITE_TEMPLATE_FILE);
    await lite.close();
  }
  return () => scanRunLogs(startedAt);
}
