// Fresh databases for tests: PostgreSQL databases cloned from the migrated template, PGlite
// instances loaded from the migrated template dump.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { ADMIN_URL, PGLITE_TEMPLATE_FILE, POSTGRES_TEMPLATE, postgresUrl } from './paths.js';

export type BackendKind = 'pglite' | 'postgres';
export const BACKENDS: BackendKind[] = ['pglite', 'postgres'];

export interface TestDatabase {
  kind: BackendKind;
  /** PostgreSQL: the URL; PGlite: null. */
  url: string | null;
  /** PGlite: the instance (hand it to the server). */
  pglite: PGlite | null;
  drop(): Promise<void>;
}

export async function createPostgresDatabase(): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `gk_test_${Math.floor(Date.now() / 1000)}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    // CREATE DATABASE … TEMPLATE fails while another session uses the template: retry briefly.
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${POSTGRES_TEMPLATE}"`);
        break;
      } catch (error) {
        if (attempt > 50) throw error;
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
    }
  } finally {
    await admin.end();
  }
  return {
    name,
    url: postgresUrl(name),
    async drop() {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => {});
      await c.end();
    },
  };
}

export async function createPglite(): Promise<PGlite> {
  const dump = new Blob([readFileSync(PGLITE_TEMPLATE_FILE)]);
  const lite = new PGlite({ loadDataDir: dump });
  await lite.waitReady;
  return lite;
}

export async function createTestDatabase(kind: BackendKind): Promise<TestDatabase> {
  if (kind === 'postgres') {
    const db = await createPostgresDatabase();
    return { kind, url: db.url, pglite: null, drop: db.drop };
  }
  const lite = await createPglite();
  return {
    kind,
    url: null,
    pglite: lite,
    async drop() {
      await lite.close().catch(() => {});
    },
  };
}
