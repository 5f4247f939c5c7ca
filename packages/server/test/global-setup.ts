// Runs once before the server tests: compiles (child processes run dist/), migrates a
// PostgreSQL template database and a PGlite template, so each test file gets a fresh
// database by cloning instead of migrating (PGlite's first open costs seconds).
import { execFileSync } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from '../src/db/migrator.js';
import { ADMIN_URL, PGLITE_TEMPLATE_FILE, POSTGRES_TEMPLATE, TEMPLATE_DIR, postgresUrl } from './helpers/paths.js';

export default async function setup(): Promise<void> {
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
    // Leftovers of interrupted runs.
    const stale = await admin.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'gk_test_%'");
    for (const { datname } of stale.rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    await admin.query(`DROP DATABASE IF EXISTS "${POSTGRES_TEMPLATE}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${POSTGRES_TEMPLATE}"`);
  } finally {
    await admin.end();
  }
  const pool = new pg.Pool({ connectionString: postgresUrl(POSTGRES_TEMPLATE), max: 1 });
  const kysely = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  await migrateToLatest(kysely);
  await kysely.destroy();

  const lite = new PGlite();
  const litePool = new pg.Pool({ ...createPgConfig(lite), max: 1 });
  const liteKysely = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: litePool }) });
  await migrateToLatest(liteKysely);
  await liteKysely.destroy();
  const dump = await lite.dumpDataDir('none');
  writeFileSync(PGLITE_TEMPLATE_FILE, Buffer.from(await dump.arrayBuffer()));
  await lite.close();
}
