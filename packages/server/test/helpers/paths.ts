import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PG_HOST = process.env.GRANTKEEPER_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432';
export const ADMIN_URL = `${PG_HOST}/postgres`;
export const REPO_ROOT = new URL('../../../../', import.meta.url).pathname;
export const ARTIFACTS_DIR = join(REPO_ROOT, 'test-artifacts');

/** Templates are named by the migrations they hold, so a schema change makes new ones. */
const MIGRATIONS_DIR = join(REPO_ROOT, 'packages/server/src/db/migrations');
const schemaHash = createHash('sha256')
  .update(readdirSync(MIGRATIONS_DIR).sort().map((f) => readFileSync(join(MIGRATIONS_DIR, f), 'utf8')).join('\n'))
  .digest('hex')
  .slice(0, 12);

export const POSTGRES_TEMPLATE = `gk_template_${schemaHash}`;
export const TEMPLATE_DIR = join(tmpdir(), 'grantkeeper-test');
export const PGLITE_TEMPLATE_FILE = join(TEMPLATE_DIR, `pglite-template-${schemaHash}.tar`);

export function postgresUrl(database: string): string {
  return `${PG_HOST}/${database}`;
}
