// The emulator answering 503 and then timing out for a while, during a storm on 3
// instances: transient trouble never makes a connection needs_reauth, and all recover.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startFaultCluster, type Cluster } from './cluster.js';

describe('provider outage during a storm', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startFaultCluster(3, { env: { GRANTKEEPER_TOKEN_TIMEOUT_MS: '500', GRANTKEEPER_BACKOFF_BASE_MS: '100', GRANTKEEPER_BACKOFF_MAX_MS: '500' } });
    await cluster.importGrants(300);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  test('503s and timeouts: refresh_failing at worst, never needs_reauth; active again after', async () => {
    cluster.emu.setFault({ status: 503 });
    let phaseEnd = Date.now() + 4000;
    const first = await cluster.storm(30, () => Date.now() > phaseEnd);
    cluster.emu.clearFaults();
    cluster.emu.setFault({ mode: 'timeout' });
    phaseEnd = Date.now() + 4000;
    const second = await cluster.storm(30, () => Date.now() > phaseEnd);
    cluster.emu.clearFaults();
    expect(first.get(503)).toBeGreaterThan(0);
    expect(second.get(503)).toBeGreaterThan(0);

    const server = cluster.servers[0]!;
    const dead = await cluster.call(server, 'GET', '/v1/connections?status=needs_reauth&limit=500');
    expect(dead.body.data).toEqual([]);
    for (const c of cluster.connections) {
      const res = await cluster.call(cluster.random(), 'POST', `/v1/connections/${c.id}/refresh`);
      expect(res.status).toBe(200);
    }
    const failing = await cluster.call(server, 'GET', '/v1/connections?status=refresh_failing&limit=500');
    expect(failing.body.data).toEqual([]);
  });
});
