// API keys as rows (/v1/api-keys): the contract, the secret shown once and stored hashed,
// revocation and expiry effective at once, `last_used_at` written off the request path at
// most once per resolution, idempotency per key, the wrong-key limit, and authentication
// that costs no query when the key is right — on both databases.
import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { clientAddress } from '../src/auth/client-address.js';
import { BACKENDS } from './helpers/databases.js';
import { startTestServer, testEncryptionKeys, type TestServer } from './helpers/server.js';

type Answer = { status: number; body: any; headers: Headers };

async function call(server: { url: string }, key: string | null, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${server.url}${path}`, {
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
}

/** Counts database checkouts while `work` runs (every query takes a pooled client). */
async function queriesDuring(server: TestServer, work: () => Promise<void>): Promise<number> {
  let n = 0;
  const count = () => n++;
  server.ctx.db.pool.on('acquire', count);
  try {
    await work();
  } finally {
    server.ctx.db.pool.off('acquire', count);
  }
  return n;
}

describe.each(BACKENDS)('API keys on %s', (backend) => {
  let server: TestServer;
  const admin = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => call(server, server.key, method, path, body, headers);
  const created: string[] = [];

  beforeAll(async () => {
    server = await startTestServer(backend, {
      GRANTKEEPER_AUTH_SYNC_INTERVAL_MS: '3600000',
      GRANTKEEPER_CACHE_TTL_MS: '3600000',
      GRANTKEEPER_LOGIN_MAX_FAILURES: '1000',
      // No background pass of its own during the query count below.
      GRANTKEEPER_WEBHOOK_POLL_INTERVAL_MS: '3600000',
      GRANTKEEPER_REVOCATION_POLL_INTERVAL_MS: '3600000',
      GRANTKEEPER_SPIKE_CHECK_INTERVAL_MS: '3600000',
    }, { logName: 'api-keys' });
    expect((await admin('POST', '/v1/integrations', { key: 'crm', provider: 'salesforce', client_id: 'c1', client_secret: 's1' })).status).toBe(201);
  });
  afterAll(async () => {
    await server?.stop();
    // No key secret ever reached a log line.
    const log = readFileSync(server.logFile, 'utf8');
    for (const secret of [server.key, ...created]) expect(log).not.toContain(secret);
  });

  const createKey = async (body: Record<string, unknown>) => {
    const res = await admin('POST', '/v1/api-keys', body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    created.push(res.body.secret);
    return res.body as { id: string; secret: string; [k: string]: unknown };
  };

  test('create answers the contract, shows the secret once and stores only its hash', async () => {
    const res = await admin('POST', '/v1/api-keys', { name: 'billing service', scopes: ['tokens:read', 'connections:read'], integrations: ['crm'], expires_at: '2099-01-01T00:00:00Z' });
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const key = res.body;
    created.push(key.secret);
    expect(key).toEqual({
      id: expect.stringMatching(/^key_[0-9a-f]{32}$/),
      name: 'billing service',
      scopes: ['tokens:read', 'connections:read'],
      integrations: ['crm'],
      expires_at: '2099-01-01T00:00:00.000Z',
      created_at: expect.any(String),
      last_used_at: null,
      source: 'api',
      secret: expect.stringMatching(/^gk_sk_[A-Za-z0-9_-]{43}$/),
    });
    // The key works at once, on this instance.
    expect((await call(server, key.secret, 'GET', '/v1/connections')).status).toBe(200);

    // Never shown again: not in the list, not in the key.
    const one = await admin('GET', `/v1/api-keys/${key.id}`);
    expect(one.status).toBe(200);
    const { secret: _secret, ...withoutSecret } = key;
    expect(one.body).toEqual(withoutSecret);
    const list = await admin('GET', '/v1/api-keys');
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).not.toContain(key.secret);
    expect(list.body.data.find((k: any) => k.id === key.id)).toEqual(withoutSecret);

    // Stored as a hash: the secret is nowhere in the table.
    const rows = await sql<Record<string, unknown>>`SELECT * FROM api_keys`.execute(server.ctx.db.kysely);
    expect(JSON.stringify(rows.rows)).not.toContain(key.secret);
    expect(JSON.stringify(rows.rows)).not.toContain(key.secret.slice(6));
  });

  test('environment keys are listed as admin keys with a stable id, and cannot be revoked through the API', async () => {
    const list = await admin('GET', '/v1/api-keys');
    const env = list.body.data.filter((k: any) => k.source === 'environment');
    expect(env).toEqual([{
      id: expect.stringMatching(/^key_[0-9a-f]{32}$/), name: 'GRANTKEEPER_SECRET_KEY', scopes: ['admin'],
      integrations: null, expires_at: null, created_at: null, last_used_at: null, source: 'environment',
    }]);
    expect(env[0].id).toBe(server.ctx.auth.keys.find(server.key)!.id);
    const refused = await admin('DELETE', `/v1/api-keys/${env[0].id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('environment_key');
    expect((await admin('GET', '/v1/api-keys')).body.data.some((k: any) => k.id === env[0].id)).toBe(true);
  });

  test('list pages with limit and cursor', async () => {
    for (let i = 0; i < 3; i++) await createKey({ name: `paged ${i}`, scopes: ['proxy'] });
    const all = (await admin('GET', '/v1/api-keys?limit=500')).body.data.map((k: any) => k.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Answer = await admin('GET', `/v1/api-keys?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map((k: any) => k.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(all);
    expect((await admin('GET', '/v1/api-keys?cursor=bm9wZQ')).status).toBe(400);
  });

  test.each([
    [{ name: 'x', scopes: [] }, 'scopes'],
    [{ name: 'x', scopes: ['tokens:write'] }, 'scopes'],
    [{ name: 'x', scopes: ['proxy', 'proxy'] }, 'scopes'],
    [{ name: '   ', scopes: ['proxy'] }, 'name'],
    [{ scopes: ['proxy'] }, 'name'],
    [{ name: 'x', scopes: ['admin'], integrations: ['crm'] }, 'integrations'],
    [{ name: 'x', scopes: ['webhooks:write'], integrations: ['crm'] }, 'integrations'],
    [{ name: 'x', scopes: ['proxy'], integrations: [] }, 'integrations'],
    [{ name: 'x', scopes: ['proxy'], expires_at: '2001-01-01T00:00:00Z' }, 'expires_at'],
    [{ name: 'x', scopes: ['proxy'], expires_at: 'tomorrow' }, 'expires_at'],
    [{ name: 'x', scopes: ['proxy'], secret: 'gk_sk_mine' }, 'secret'],
  ])('a bad key %j is a 400 naming %s, and creates nothing', async (body, field) => {
    const before = (await admin('GET', '/v1/api-keys?limit=500')).body.data.length;
    const res = await admin('POST', '/v1/api-keys', body);
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: any) => e.field).join(' ')).toContain(field);
    expect((await admin('GET', '/v1/api-keys?limit=500')).body.data.length).toBe(before);
  });

  test('a revoked key is refused from the moment DELETE returns; revoking twice is a 404', async () => {
    const key = await createKey({ name: 'short-lived', scopes: ['connections:read'] });
    expect((await call(server, key.secret, 'GET', '/v1/connections')).status).toBe(200);
    expect((await admin('DELETE', `/v1/api-keys/${key.id}`)).status).toBe(204);
    const refused = await call(server, key.secret, 'GET', '/v1/connections');
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('unauthorized');
    expect((await admin('GET', `/v1/api-keys/${key.id}`)).status).toBe(404);
    expect((await admin('DELETE', `/v1/api-keys/${key.id}`)).status).toBe(404);
    expect((await admin('DELETE', '/v1/api-keys/key_00000000000000000000000000000000')).status).toBe(404);
    expect((await admin('DELETE', '/v1/api-keys/not-an-id')).status).toBe(404);
    // The row stays (revoked) for the audit log until retention.
    const row = await server.ctx.db.kysely.selectFrom('api_keys').select('revoked_at').where('name', '=', 'short-lived').executeTakeFirstOrThrow();
    expect(row.revoked_at).toBeInstanceOf(Date);
  });

  test('an expired key is a 401 saying so', async () => {
    const key = await createKey({ name: 'expiring', scopes: ['connections:read'], expires_at: new Date(Date.now() + 86_400_000).toISOString() });
    expect((await call(server, key.secret, 'GET', '/v1/connections')).status).toBe(200);
    // Its expiry passes (moved back in the database, then re-read as the sync worker does).
    await sql`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE name = 'expiring'`.execute(server.ctx.db.kysely);
    await server.services.authSync.sync();
    const refused = await call(server, key.secret, 'GET', '/v1/connections');
    expect(refused.status).toBe(401);
    expect(refused.body.detail).toMatch(/expired/);
  });

  test('last_used_at is written after the request, by the sync worker, at most once per resolution', async () => {
    const key = await createKey({ name: 'usage', scopes: ['connections:read'] });
    const lastUsed = async () => (await admin('GET', `/v1/api-keys/${key.id}`)).body.last_used_at as string | null;
    expect((await call(server, key.secret, 'GET', '/v1/connections')).status).toBe(200);
    // Not on the request's path: nothing is written until the worker's pass.
    expect(await lastUsed()).toBeNull();
    expect(await server.services.authSync.sync()).toEqual({ usesWritten: 1 });
    const first = await lastUsed();
    expect(first).not.toBeNull();
    // More uses within the resolution (60 s) are neither queued nor written.
    for (let i = 0; i < 5; i++) expect((await call(server, key.secret, 'GET', '/v1/connections')).status).toBe(200);
    expect(await server.services.authSync.sync()).toEqual({ usesWritten: 0 });
    expect(await lastUsed()).toBe(first);
  });

  test('a right key costs no query: the token fast path with an admin key and with a limited one', async () => {
    const imported = await admin('POST', '/v1/connections', {
      integration: 'crm', end_user: { id: 'fast' },
      credentials: { refresh_token: 'rt-fast-path-not-real', access_token: '00D000000000001!AQfast', issued_at: new Date().toISOString() },
    });
    expect(imported.status).toBe(201);
    const path = `/v1/connections/${imported.body.id}/token`;
    const limited = await createKey({ name: 'fast limited', scopes: ['tokens:read'], integrations: ['crm'] });
    // Warm: the token cache, and the limited key's note of the connection's integration.
    expect((await admin('GET', path)).status).toBe(200);
    expect((await call(server, limited.secret, 'GET', path)).status).toBe(200);
    // The import's webhook wake-up has been served: no worker has anything to do now.
    await server.services.webhooks.worker.runNow();
    const queries = await queriesDuring(server, async () => {
      for (let i = 0; i < 20; i++) {
        expect((await admin('GET', path)).status).toBe(200);
        expect((await call(server, limited.secret, 'GET', path)).status).toBe(200);
      }
    });
    expect(queries).toBe(0);
    // The counter does see queries: a list reads the database.
    expect(await queriesDuring(server, async () => void (await admin('GET', '/v1/connections')))).toBeGreaterThan(0);
  });

  test('the wrong-key count restarts when its window has ended', async () => {
    const client = clientAddress('203.0.113.9');
    const limit = server.ctx.auth.limit;
    expect(await limit.count(client)).toBeNull();
    expect(await limit.count(client)).toBeNull();
    expect((await server.ctx.db.kysely.selectFrom('auth_failures').select('failures').where('client', '=', client).executeTakeFirstOrThrow()).failures).toBe(2);
    await sql`UPDATE auth_failures SET window_started_at = now() - interval '601 seconds' WHERE client = ${client}`.execute(server.ctx.db.kysely);
    expect(await limit.count(client)).toBeNull();
    expect((await server.ctx.db.kysely.selectFrom('auth_failures').select('failures').where('client', '=', client).executeTakeFirstOrThrow()).failures).toBe(1);
    // A block ends with its window (the clock handed in, not waited for).
    limit.block(client, Date.now() + 5_000);
    expect(limit.retryAfterS(client, Date.now())).toBeGreaterThan(0);
    expect(limit.retryAfterS(client, Date.now() + 5_001)).toBeNull();
  });
});

describe.each(BACKENDS)('idempotency per API key on %s', (backend) => {
  // Two keys in GRANTKEEPER_SECRET_KEY: before keys had ids of their own, both shared one
  // idempotency scope, and the second replaying the first's Idempotency-Key got its response.
  const first = `gk_sk_first_${'a'.repeat(24)}`;
  const second = `gk_sk_second_${'b'.repeat(24)}`;
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(backend, { GRANTKEEPER_SECRET_KEY: `${first},${second}`, GRANTKEEPER_ENCRYPTION_KEYS: testEncryptionKeys() }, { logName: 'idempotency-per-key' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  test('another key replaying an Idempotency-Key gets nothing of the first response', async () => {
    const body = { url: 'http://127.0.0.1:9/hook' };
    const headers = { 'idempotency-key': 'create-hook-1' };
    const a = await call(server, first, 'POST', '/v1/webhook-endpoints', body, headers);
    expect(a.status).toBe(201);
    expect(a.body.secret).toMatch(/^whsec_/);
    // The same key replaying it gets the first response back (the contract).
    const again = await call(server, first, 'POST', '/v1/webhook-endpoints', body, headers);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.secret).toBe(a.body.secret);
    // Another key: a request of its own, never the first one's secret.
    const b = await call(server, second, 'POST', '/v1/webhook-endpoints', body, headers);
    expect(b.status).toBe(201);
    expect(b.headers.get('idempotent-replayed')).toBeNull();
    expect(b.body.id).not.toBe(a.body.id);
    expect(b.body.secret).not.toBe(a.body.secret);
    expect(JSON.stringify(b.body)).not.toContain(a.body.secret);
  });
});

describe.each(BACKENDS)('the wrong-key limit on %s', (backend) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(backend, { GRANTKEEPER_LOGIN_MAX_FAILURES: '3', GRANTKEEPER_LOGIN_WINDOW_S: '600' }, { logName: 'wrong-keys' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  test('3 wrong keys from one address, then 429 with Retry-After for every key it sends, on /v1 and the dashboard login alike', async () => {
    // A right key before any failure.
    expect((await call(server, server.key, 'GET', '/v1/providers')).status).toBe(200);
    // Requests without any key are not guesses.
    for (let i = 0; i < 5; i++) expect((await call(server, null, 'GET', '/v1/providers')).status).toBe(401);
    for (let i = 0; i < 2; i++) expect((await call(server, `gk_sk_guess_${i}_000000000000`, 'GET', '/v1/providers')).status).toBe(401);
    // The dashboard login counts the same.
    const login = (key: string) => fetch(`${server.url}/ui/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key }) });
    expect((await login('gk_sk_guess_login_00000000')).status).toBe(401);
    const over = await call(server, 'gk_sk_guess_4_000000000000', 'GET', '/v1/providers');
    expect(over.status).toBe(429);
    expect(over.body.code).toBe('too_many_failed_attempts');
    const retryAfter = Number(over.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(600);
    // Now even the right key is refused from this address (or 429s would only mark the wrong guesses).
    const right = await call(server, server.key, 'GET', '/v1/providers');
    expect(right.status).toBe(429);
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0);
    const loginRight = await login(server.key);
    expect(loginRight.status).toBe(429);
    expect(loginRight.headers.get('set-cookie')).toBeNull();
    // The count lives in the database (shared by instances): the 3 failures; refusals while blocked are not counted again.
    const row = await server.ctx.db.kysely.selectFrom('auth_failures').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ client: '127.0.0.1', failures: 3 });
  });
});

test('client addresses: IPv4 as is, IPv4 inside IPv6 as IPv4, IPv6 by its /64', () => {
  expect(clientAddress('127.0.0.1')).toBe('127.0.0.1');
  expect(clientAddress('::ffff:192.0.2.7')).toBe('192.0.2.7');
  expect(clientAddress('::ffff:c000:207')).toBe('192.0.2.7');
  expect(clientAddress('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
  expect(clientAddress('2001:db8:1:2:ffff:ffff:ffff:fffe')).toBe('2001:db8:1:2::/64');
  expect(clientAddress('2001:0db8:0001:0002::9')).toBe('2001:db8:1:2::/64');
  expect(clientAddress('::1')).toBe('0:0:0:0::/64');
  expect(clientAddress('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
});
