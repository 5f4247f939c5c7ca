// Several Grantkeeper processes on one PostgreSQL database against one emulator: however
// many callers on however many instances, one provider call per refresh; rotation never
// loses a token; a crashed lease holder is taken over after lease + grace.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fromPublicId } from '../src/model/ids.js';
import { ServerCluster } from './helpers/cluster.js';
import type { ServerProcess } from './helpers/processes.js';
import { until } from './helpers/wait.js';

/** Until the connection's intent (an `in_flight` refresh event) is written: its holder has the lease and is calling the provider. */
const intentWritten = (cluster: ServerCluster, via: ServerProcess, id: string) =>
  until('the lease holder\'s intent', async () => {
    const events = await cluster.call(via, 'GET', `/v1/connections/${id}/events`);
    return events.status === 200 && events.body.data.some((e: any) => e.outcome === 'in_flight');
  }, 10_000);

describe('three server processes on one PostgreSQL', () => {
  let cluster: ServerCluster;
  beforeAll(async () => {
    cluster = await ServerCluster.start(3, { name: 'multi', app: { rotation: true } });
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  test('50 concurrent token calls on an expired token, across 3 processes → exactly 1 provider call', async () => {
    const { id } = await cluster.importGrant('herd@example.com');
    cluster.emu.setLatency(200);
    const before = cluster.emu.stats().refresh_attempts;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => cluster.call(cluster.servers[i % 3]!, 'GET', `/v1/connections/${id}/token`)),
    );
    cluster.emu.setLatency(0);
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(new Set(results.map((r) => r.body.access_token)).size).toBe(1);
    expect(cluster.emu.stats().refresh_attempts - before).toBe(1);
  });

  test('rotation on, 200 forced refreshes under concurrency across 3 processes → 0 reuse detections', async () => {
    const { id, refreshToken } = await cluster.importGrant('rotate@example.com');
    const reuseBefore = cluster.emu.stats().reuse_detections;
    let done = 0;
    const worker = async (w: number) => {
      while (done < 200) {
        done++;
        const res = await cluster.call(cluster.servers[w % 3]!, 'GET', `/v1/connections/${id}/token?force=true&wait_ms=30000`);
        expect(res.status).toBe(200);
      }
    };
    await Promise.all(Array.from({ length: 12 }, (_, w) => worker(w)));
    expect(cluster.emu.stats().reuse_detections - reuseBefore).toBe(0);
    const connection = await cluster.call(cluster.servers[1]!, 'GET', `/v1/connections/${id}`);
    expect(connection.body.status).toBe('active');
    // The stored refresh token is the emulator's current one: one more refresh still works.
    const current = cluster.emu.currentRefreshToken(refreshToken);
    expect(current).not.toBeNull();
    expect((await cluster.call(cluster.servers[2]!, 'POST', `/v1/connections/${id}/refresh`)).status).toBe(200);
    expect(cluster.emu.stats().reuse_detections - reuseBefore).toBe(0);
  }, 120_000);
});

describe('a token endpoint slower than the lease', () => {
  let cluster: ServerCluster;
  beforeAll(async () => {
    // The lease lives 1 s; the provider takes 15 s: only renewal keeps it.
    cluster = await ServerCluster.start(3, {
      name: 'slow',
      env: { GRANTKEEPER_LEASE_TTL_MS: '1000', GRANTKEEPER_TOKEN_TIMEOUT_MS: '30000', GRANTKEEPER_WAIT_MS_MAX: '30000' },
      app: { rotation: true },
    });
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  test('rotation on, concurrent forced refreshes during 15 s provider calls → one call at a time, 0 reuse', async () => {
    const { id } = await cluster.importGrant('slow@example.com');
    cluster.emu.setLatency(15_000);
    const before = cluster.emu.stats();
    const results = await Promise.all(
      Array.from({ length: 9 }, (_, i) => cluster.call(cluster.servers[i % 3]!, 'GET', `/v1/connections/${id}/token?force=true&wait_ms=30000`)),
    );
    cluster.emu.setLatency(0);
    expect(results.filter((r) => r.status === 200).length).toBeGreaterThan(0);
    for (const r of results) expect([200, 503]).toContain(r.status);
    const after = cluster.emu.stats();
    expect(after.reuse_detections - before.reuse_detections).toBe(0);
    expect(after.concurrent_rejections - before.concurrent_rejections).toBe(0);
    expect((await cluster.call(cluster.servers[0]!, 'GET', `/v1/connections/${id}`)).body.status).toBe('active');
  }, 120_000);
});

describe('a lease holder killed mid-refresh', () => {
  const GRACE_S = 2;
  let cluster: ServerCluster;
  beforeAll(async () => {
    cluster = await ServerCluster.start(2, {
      name: 'crash',
      env: { GRANTKEEPER_LEASE_TTL_MS: '1000', GRANTKEEPER_INTENT_GRACE_S: String(GRACE_S), GRANTKEEPER_WAIT_MS_MAX: '30000' },
    });
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  test('another process takes over after lease + grace; the lost attempt is recorded as outcome unknown', async () => {
    const { id } = await cluster.importGrant('crash@example.com');
    cluster.emu.setLatency(5_000);
    const [victim, survivor] = cluster.servers as [ServerProcess, ServerProcess];
    const pending = cluster.call(victim, 'GET', `/v1/connections/${id}/token`);
    await intentWritten(cluster, survivor, id);
    await cluster.kill(victim);
    await pending;
    cluster.emu.setLatency(0);
    // The lease as the dead holder left it (nobody renews it any more), with its intent unresolved.
    const [left] = await cluster.query<{ lease_owner: string | null; lease_expires_at: Date | null; refresh_intent_id: string | null }>(
      'SELECT lease_owner, lease_expires_at, refresh_intent_id FROM connections WHERE id = $1',
      [fromPublicId('connection', id)],
    );
    expect(left).toMatchObject({ lease_owner: victim.instanceId, lease_expires_at: expect.any(Date), refresh_intent_id: expect.any(String) });

    const res = await cluster.call(survivor, 'GET', `/v1/connections/${id}/token?wait_ms=30000`);
    expect(res.status).toBe(200);
    const events = (await cluster.call(survivor, 'GET', `/v1/connections/${id}/events`)).body.data;
    expect(events.map((e: any) => [e.type, e.outcome])).toEqual([
      ['refresh', 'success'],
      ['refresh', 'unknown'],
      ['import', 'success'],
    ]);
    // Database time: the victim wrote its intent under its lease; the survivor wrote its own
    // only once that lease had expired and the intent grace had run out on top of it.
    const [taken, lost] = await cluster.query<{ outcome: string; instance_id: string; at: Date }>(
      `SELECT outcome, instance_id, at FROM events WHERE connection_id = $1 AND type = 'refresh' ORDER BY at DESC, id DESC`,
      [fromPublicId('connection', id)],
    );
    expect(lost).toMatchObject({ outcome: 'unknown', instance_id: victim.instanceId });
    expect(taken).toMatchObject({ outcome: 'success', instance_id: survivor.instanceId });
    const leaseExpiredAt = left!.lease_expires_at!.getTime();
    expect(lost!.at.getTime()).toBeLessThanOrEqual(leaseExpiredAt);
    expect(taken!.at.getTime()).toBeGreaterThanOrEqual(leaseExpiredAt + GRACE_S * 1000);
  }, 120_000);
});

describe('SIGTERM during a refresh', () => {
  let cluster: ServerCluster;
  beforeAll(async () => {
    cluster = await ServerCluster.start(1, { name: 'shutdown', app: { rotation: true } });
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  test('the process stops taking work, finishes and stores the refresh in flight, releases the lease, exits 0', async () => {
    const { id, refreshToken } = await cluster.importGrant('shutdown@example.com');
    const server = cluster.servers[0]!;
    cluster.emu.setLatency(2_000);
    const pending = cluster.call(server, 'GET', `/v1/connections/${id}/token`);
    await intentWritten(cluster, server, id);
    const exited = cluster.kill(server, 'SIGTERM');
    const answered = await pending;
    expect(answered.status).toBe(200);
    expect(await exited).toBe(0);
    cluster.emu.setLatency(0);
    // The rotated token was stored before exit: the next instance refreshes with it.
    const current = cluster.emu.currentRefreshToken(refreshToken);
    expect(current).not.toBe(refreshToken);
    const next = await cluster.add();
    const connection = await cluster.call(next, 'GET', `/v1/connections/${id}`);
    expect(connection.body).toMatchObject({ status: 'active', generation: 2 });
    expect((await cluster.call(next, 'POST', `/v1/connections/${id}/refresh`)).status).toBe(200);
    expect(cluster.emu.stats().reuse_detections).toBe(0);
  }, 120_000);
});

describe('waiters on other processes, with the re-check timer effectively off', () => {
  let cluster: ServerCluster;
  beforeAll(async () => {
    // The safety-net re-check every 10 minutes: a waiter that answers within its wait_ms
    // (20 s) can only have learned of the holder's commit by NOTIFY.
    cluster = await ServerCluster.start(3, { name: 'notify', env: { GRANTKEEPER_LEASE_POLL_MS: '600000', GRANTKEEPER_WAIT_MS_MAX: '30000' }, app: { rotation: true } });
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  const servedByOther = async (server: ServerProcess) => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    return Number(/^grantkeeper_lease_waits_total\{result="served_by_other"\} (\d+)/m.exec(text)?.[1] ?? 0);
  };

  test('60 callers across 3 processes on an expired token: one provider call, every waiter woken by the commit', async () => {
    const { id } = await cluster.importGrant('notify@example.com');
    cluster.emu.setLatency(500);
    const before = cluster.emu.stats().refresh_attempts;
    const waitsBefore = await Promise.all(cluster.servers.map(servedByOther));
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => cluster.call(cluster.servers[i % 3]!, 'GET', `/v1/connections/${id}/token?wait_ms=20000`)),
    );
    cluster.emu.setLatency(0);
    expect(results.map((r) => r.status)).toEqual(Array(60).fill(200));
    expect(new Set(results.map((r) => r.body.access_token)).size).toBe(1);
    expect(cluster.emu.stats().refresh_attempts - before).toBe(1);
    // Two of the three processes did not hold the lease: each had a caller waiting on it.
    const waitsAfter = await Promise.all(cluster.servers.map(servedByOther));
    expect(waitsAfter.filter((n, i) => n > waitsBefore[i]!).length).toBeGreaterThanOrEqual(2);
  }, 120_000);

  test('a failed refresh wakes the waiters too: they answer with the failure, not a timeout', async () => {
    const { id } = await cluster.importGrant('notify-fail@example.com');
    cluster.emu.setLatency(500);
    cluster.emu.setFault({ status: 503, count: 1 });
    const results = await Promise.all(
      Array.from({ length: 9 }, (_, i) => cluster.call(cluster.servers[i % 3]!, 'GET', `/v1/connections/${id}/token?wait_ms=20000`)),
    );
    cluster.emu.setLatency(0);
    cluster.emu.clearFaults();
    for (const r of results) {
      expect(r.status).toBe(503);
      expect(r.body.code).not.toBe('refresh_in_progress');
    }
  }, 120_000);
});
