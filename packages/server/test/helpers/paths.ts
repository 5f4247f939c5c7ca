import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PG_HOST = process.env.GRANTKEEPER_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432';
export const ADMIN_URL = `${PG_HOST}/postgres`;
export const POSTGRES_TEMPLATE = 'gk_template';
export const TEMPLATE_DIR = join(tmpdir(), 'grantkeeper-test');
export const PGLITE_TEMPLATE_FILE = join(TEMPLATE_DIR, 'pglite-template.tar');
export const REPO_ROOT = new URL('../../../../', import.meta.url).pathname;
export const ARTIFACTS_DIR = join(REPO_ROOT, 'test-artifacts');

export function postgresUrl(database: string): string {
  return `${PG_HOST}/${database}`;
}
