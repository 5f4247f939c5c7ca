// PostgreSQL stopped and started in the middle of a storm of rotating refreshes, for less
// than intent_grace_s: no refresh token is lost, and the instances recover without restarting.
import { execSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { until } from '../test/helpers/wait.js';
import { startFaultCluster, type Cluster } from './cluster.js';

const version = readdirSync('/etc/postgresql')[0];
const pgctl = (action: 'stop' | 'start') =>
  execSync(`pg_ctlcluster --skip-systemctl-redirect ${version} main ${action}${action === 'stop' ? ' -m fast' : ''}`, { stdio: 'pipe' });

describe('PostgreSQL restart during a storm', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startFaultCluster(3, { env: { GRANTKEEPER_INTENT_GRACE_S: '60', GRANTKEEPER_LEASE_TTL_MS: '5000' }, app: { rotation: true } });
    await cluster.importGrants(200);
  });
  afterAll(async () => {
    try {
      pgctl('start');
    } catch {
      /* already running */
    }
    await cluster?.stop();
  });

  test('every rotated token is stored once the database is back', async () => {
    cluster.emu.setLatency(100);
    const deadline = Date.now() + 15_000;
    const outage = (async () => {
      await new Promise((r) => setTimeout(r, 4000));
      pgctl('stop');
      await new Promise((r) => setTimeout(r, 4000));
      pgctl('start');
    })();
    const statuses = await cluster.storm(20, () => Date.now() > deadline);
    await outage;
    cluster.emu.setLatency(0);
    console.log(`postgres restart storm statuses: ${JSON.stringify(Object.fromEntries(statuses))}`);

    // The same processes serve again (no restart).
    for (const server of cluster.servers) {
      await until(`${server.instanceId} ready again`, async () => (await cluster.call(server, 'GET', '/readyz')).status === 200, 30_000, 100);
    }
    // Every grant still refreshes: no stored refresh token was lost or left behind a rotation.
    const reuseBefore = cluster.emu.stats().reuse_detections;
    for (const c of cluster.connections) {
      const res = await cluster.call(cluster.random(), 'POST', `/v1/connections/${c.id}/refresh`);
      expect(res.status, `${c.id}: ${JSON.stringify(res.body)}`).toBe(200);
    }
    expect(cluster.emu.stats().reuse_detections).toBe(reuseBefore);
    expect(cluster.emu.stats().reuse_detections).toBe(0);
  });
});
