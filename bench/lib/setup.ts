// Shared set-up for the server benchmarks: databases, keys, and seeded connections.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export const BENCH_KEY = 'gk_sk_bench_0000000000000000';
export const ADMIN_URL = process.env.GRANTKEEPER_TEST_PG ? `${process.env.GRANTKEEPER_TEST_PG}/postgres` : 'postgres://postgres@127.0.0.1:5432/postgres';

export function encryptionKeys(): string {
  return `bench:${randomBytes(32).toString('base64')}`;
}

export async function freshPostgres(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `gk_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = ADMIN_URL.replace(/\/postgres$/, `/${name}`);
  return {
    url,
    async drop() {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}

export function freshDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'gk-bench-'));
}

export async function api(url: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${BENCH_KEY}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** An integration plus `count` connections holding valid access tokens (no provider needed). */
export async function seedValidConnections(url: string, count: number): Promise<string[]> {
  const key = `bench-${randomBytes(3).toString('hex')}`;
  await api(url, 'POST', '/v1/integrations', {
    key, provider: 'salesforce', client_id: 'bench-client', client_secret: 'bench-secret', auth_base_url: 'https://login.salesforce.com',
  });
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const c = await api(url, 'POST', '/v1/connections', {
      integration: key,
      end_user: { id: `bench-user-${i}` },
      credentials: {
        refresh_token: `bench-rt-${randomBytes(12).toString('hex')}`,
        access_token: `00D000000000001!AQ0AQ${randomBytes(40).toString('base64url')}`,
        issued_at: String(Date.now()),
        instance_url: 'https://bench.my.salesforce.com',
      },
    });
    ids.push(c.id);
  }
  return ids;
}
