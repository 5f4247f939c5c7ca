// Several Grantkeeper processes on one PostgreSQL database against one emulator: however
// many callers on however many instances, one provider call per refresh; rotation never
// loses a token; a crashed lease holder is taken over after lease + grace.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startSalesforceEmulator, type SalesforceEmulator } from '@grantkeeper/salesforce-emulator';
import { createPostgresDatabase } from './helpers/databases.js';
import { spawnServer, type ServerProcess } from './helpers/processes.js';
import { testEncryptionKeys } from './helpers/server.js';

const KEY = 'gk_sk_multiprocess_test_key_0001';

interface Cluster {
  env: Record<string, string>;
  emu: SalesforceEmulator;
  servers: ServerProcess[];
  clientId: string;
  integration: string;
  drop(): Promise<void>;
}

async function startCluster(count: number, env: Record<string, string>, app: Record<string, unknown> = {}): Promise<Cluster> {
  const db = await createPostgresDatabase();
  const emu = await startSalesforceEmulator({ port: 0 });
  const shared = {
    GRANTKEEPER_DATABASE_URL: db.url,
    GRANTKEEPER_SECRET_KEY: KEY,
    GRANTKEEPER_ENCRYPTION_KEYS: testEncryptionKeys(),
    GRANTKEEPER_ALLOW_PRIVATE_NETWORK: 'true',
    GRANTKEEPER_SCHEDULER_INTERVAL_MS: '3600000',
    GRANTKEEPER_CONFIRM_RETRY_MS: '10',
    GRANTKEEPER_LEASE_POLL_MS: '25',
    ...env,
  };
  const servers = await Promise.all(Array.from({ length: count }, (_, i) => spawnServer({ ...shared, GRANTKEEPER_INSTANCE_ID: `p${i}` }, `multi-p${i}`)));
  const clientId = `3MVG9multi${Date.now()}`;
  emu.createApp({ clientId, clientSecret: 'multi-secret', callbackUrls: ['http://localhost/cb'], ...app });
  const integration = `sf-multi-${Date.now()}`;
  const res = await call(servers[0]!, 'POST', '/v1/integrations', {
    key: integration, provider: 'salesforce', client_id: clientId, client_secret: 'multi-secret', auth_base_url: emu.url,
  });
  expect(res.status).toBe(201);
  return {
    env: shared, emu, servers, clientId, integration,
    async drop() {
      await Promise.all(servers.map((s) => s.kill('SIGKILL')));
      await emu.close();
      await db.drop();
    },
  };
}

async function call(server: ServerProcess, method: string, path: string, body?: unknown) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${KEY}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, body: (await response.json().catch(() => null)) as any };
}

async function importGrant(cluster: Cluster, username: string) {
  cluster.emu.createUser({ username });
  const tokens = cluster.emu.issueTokens({ clientId: cluster.clientId, username });
  const res = await call(cluster.servers[0]!, 'POST', '/v1/connections', {
    integration: cluster.integration,
    end_user: { id: username },
    credentials: { refresh_token: String(tokens.refresh_token), id_url: String(tokens.id) },
  });
  expect(res.status).toBe(201);
  return { id: res.body.id as string, refreshToken: String(tokens.refresh_token) };
}

describe('three server processes on one PostgreSQL', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster(3, {}, { rotation: true });
  }, 120_000);
  afterAll(async () => {
    await cluster?.drop();
  });

  test('50 concurrent token calls on an expired token, across 3 processes → exactly 1 provider call', async () => {
    const { id } = await importGrant(cluster, 'herd@example.com');
    cluster.emu.setLatency(200);
    const before = cluster.emu.stats().refresh_attempts;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => call(cluster.servers[i % 3]!, 'GET', `/v1/connections/${id}/token`)),
    );
    cluster.emu.setLatency(0);
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(new Set(results.map((r) => r.body.access_token)).size).toBe(1);
    expect(cluster.emu.stats().refresh_attempts - before).toBe(1);
  });

  test('rotation on, 200 forced refreshes under concurrency across 3 processes → 0 reuse detections', async () => {
    const { id, refreshToken } = await importGrant(cluster, 'rotate@example.com');
    const reuseBefore = cluster.emu.stats().reuse_detections;
    let done = 0;
    const worker = async (w: number) => {
      while (done < 200) {
        done++;
        const res = await call(cluster.servers[w % 3]!, 'GET', `/v1/connections/${id}/token?force=true&wait_ms=30000`);
        expect(res.status).toBe(200);
      }
    };
    await Promise.all(Array.from({ length: 12 }, (_, w) => worker(w)));
    expect(cluster.emu.stats().reuse_detections - reuseBefore).toBe(0);
    const connection = await call(cluster.servers[1]!, 'GET', `/v1/connections/${id}`);
    expect(connection.body.status).toBe('active');
    // The stored refresh token is the emulator's current one: one more refresh still works.
    const current = cluster.emu.currentRefreshToken(refreshToken);
    expect(current).not.toBeNull();
    expect((await call(cluster.servers[2]!, 'POST', `/v1/connections/${id}/refresh`)).status).toBe(200);
    expect(cluster.emu.stats().reuse_detections - reuseBefore).toBe(0);
  }, 120_000);
});

describe('a token endpoint slower than the lease', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    // The lease lives 1 s; the provider takes 15 s: only renewal keeps it.
    cluster = await startCluster(3, { GRANTKEEPER_LEASE_TTL_MS: '1000', GRANTKEEPER_TOKEN_TIMEOUT_MS: '30000', GRANTKEEPER_WAIT_MS_MAX: '30000' }, { rotation: true });
  }, 120_000);
  afterAll(async () => {
    await cluster?.drop();
  });

  test('rotation on, concurrent forced refreshes during 15 s provider calls → one call at a time, 0 reuse', async () => {
    const { id } = await importGrant(cluster, 'slow@example.com');
    cluster.emu.setLatency(15_000);
    const before = cluster.emu.stats();
    const results = await Promise.all(
      Array.from({ length: 9 }, (_, i) => call(cluster.servers[i % 3]!, 'GET', `/v1/connections/${id}/token?force=true&wait_ms=30000`)),
    );
    cluster.emu.setLatency(0);
    expect(results.filter((r) => r.status === 200).length).toBeGreaterThan(0);
    for (const r of results) expect([200, 503]).toContain(r.status);
    const after = cluster.emu.stats();
    expect(after.reuse_detections - before.reuse_detections).toBe(0);
    expect(after.concurrent_rejections - before.concurrent_rejections).toBe(0);
    expect((await call(cluster.servers[0]!, 'GET', `/v1/connections/${id}`)).body.status).toBe('active');
  }, 120_000);
});

describe('a lease holder killed mid-refresh', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster(2, { GRANTKEEPER_LEASE_TTL_MS: '1000', GRANTKEEPER_INTENT_GRACE_S: '2', GRANTKEEPER_WAIT_MS_MAX: '30000' });
  }, 120_000);
  afterAll(async () => {
    await cluster?.drop();
  });

  test('another process takes over after lease + grace; the lost attempt is recorded as outcome unknown', async () => {
    const { id } = await importGrant(cluster, 'crash@example.com');
    cluster.emu.setLatency(5_000);
    const [victim, survivor] = cluster.servers as [ServerProcess, ServerProcess];
    const pending = fetch(`${victim.url}/v1/connections/${id}/token`, { headers: { authorization: `Bearer ${KEY}` } }).catch(() => null);
    // Wait until the victim holds the lease and wrote its intent.
    await expect.poll(async () => {
      const events = await call(survivor, 'GET', `/v1/connections/${id}/events`);
      return events.body.data.some((e: any) => e.outcome === 'in_flight');
    }, { timeout: 10_000, interval: 50 }).toBe(true);
    await victim.kill('SIGKILL');
    await pending;
    cluster.emu.setLatency(0);
    const started = Date.now();
    const res = await call(survivor, 'GET', `/v1/connections/${id}/token?wait_ms=30000`);
    expect(res.status).toBe(200);
    // The survivor had to wait for the lease (1 s) plus the intent grace (2 s).
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    const events = (await call(survivor, 'GET', `/v1/connections/${id}/events`)).body.data;
    expect(events.map((e: any) => [e.type, e.outcome])).toEqual([
      ['refresh', 'success'],
      ['refresh', 'unknown'],
      ['import', 'success'],
    ]);
  }, 120_000);
});

describe('SIGTERM during a refresh', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster(1, {}, { rotation: true });
  }, 120_000);
  afterAll(async () => {
    await cluster?.drop();
  });

  test('the process stops taking work, finishes and stores the refresh in flight, releases the lease, exits 0', async () => {
    const { id, refreshToken } = await importGrant(cluster, 'shutdown@example.com');
    const server = cluster.servers[0]!;
    cluster.emu.setLatency(2_000);
    const pending = call(server, 'GET', `/v1/connections/${id}/token`);
    await expect.poll(async () => (await call(server, 'GET', `/v1/connections/${id}/events`)).body.data.some((e: any) => e.outcome === 'in_flight'), {
      timeout: 10_000,
      interval: 50,
    }).toBe(true);
    server.child.kill('SIGTERM');
    const answered = await pending;
    expect(answered.status).toBe(200);
    expect(await server.exited).toBe(0);
    cluster.emu.setLatency(0);
    // The rotated token was stored before exit: the next instance refreshes with it.
    const current = cluster.emu.currentRefreshToken(refreshToken);
    expect(current).not.toBe(refreshToken);
    const next = await spawnServer({ ...cluster.env, GRANTKEEPER_INSTANCE_ID: 'after-shutdown' }, 'multi-after-shutdown');
    cluster.servers.push(next);
    const connection = await call(next, 'GET', `/v1/connections/${id}`);
    expect(connection.body).toMatchObject({ status: 'active', generation: 2 });
    expect((await call(next, 'POST', `/v1/connections/${id}/refresh`)).status).toBe(200);
    expect(cluster.emu.stats().reuse_detections).toBe(0);
  }, 120_000);
});
