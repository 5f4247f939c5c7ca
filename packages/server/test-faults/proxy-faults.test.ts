// The provider outage of provider-faults.test.ts, with every provider call going through an
// outbound proxy (a real tinyproxy bound to 127.0.0.2) to an app whose Refresh Token IP
// Allowlist is [127.0.0.2]; then the proxy itself going away and coming back. Transient
// trouble never makes a connection needs_reauth, every refresh left through the proxy, and
// all recover. Touches no shared service (its own processes, proxy and database).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTinyproxy, type TinyProxy } from '../test/helpers/tinyproxy.js';
import { startFaultCluster, type Cluster } from './cluster.js';

describe('provider and proxy outages during a storm, through the outbound proxy', () => {
  let proxy: TinyProxy;
  let cluster: Cluster;
  beforeAll(async () => {
    proxy = await startTinyproxy();
    cluster = await startFaultCluster(3, {
      name: 'proxyfaults',
      env: { GRANTKEEPER_OUTBOUND_PROXY: proxy.url, GRANTKEEPER_TOKEN_TIMEOUT_MS: '500', GRANTKEEPER_BACKOFF_BASE_MS: '100', GRANTKEEPER_BACKOFF_MAX_MS: '500' },
    });
    cluster.emu.setRefreshTokenIpAllowlist(cluster.clientId, ['127.0.0.2']);
    await cluster.importGrants(300);
  });
  afterAll(async () => {
    await cluster?.stop();
    await proxy?.stop();
  });

  test('503s, timeouts and the proxy down: refresh_failing at worst, never needs_reauth; active again after, every call from the allowlisted address', async () => {
    const phase = async (ms: number) => {
      const end = Date.now() + ms;
      return cluster.storm(30, () => Date.now() > end);
    };
    cluster.emu.setFault({ status: 503 });
    const unavailable = await phase(4000);
    cluster.emu.clearFaults();
    cluster.emu.setFault({ mode: 'timeout' });
    const timingOut = await phase(4000);
    cluster.emu.clearFaults();
    await proxy.stop();
    const proxyDown = await phase(4000);
    proxy = await startTinyproxy({ port: proxy.port });
    expect(unavailable.get(503)).toBeGreaterThan(0);
    expect(timingOut.get(503)).toBeGreaterThan(0);
    expect(proxyDown.get(503)).toBeGreaterThan(0);

    const server = cluster.servers[0]!;
    const dead = await cluster.call(server, 'GET', '/v1/connections?status=needs_reauth&limit=500');
    expect(dead.body.data).toEqual([]);
    for (const c of cluster.connections) {
      const res = await cluster.call(cluster.random(), 'POST', `/v1/connections/${c.id}/refresh`);
      expect(res.status).toBe(200);
    }
    const failing = await cluster.call(server, 'GET', '/v1/connections?status=refresh_failing&limit=500');
    expect(failing.body.data).toEqual([]);

    // Nothing ever went direct: the allowlist refused no request, and every token request came from the proxy.
    expect(cluster.emu.stats().refresh_ip_blocked).toBe(0);
    const sources = new Set(cluster.emu.requestLog({ endpoint: 'token' }).map((e) => e.source_ip));
    expect([...sources]).toEqual(['127.0.0.2']);
    expect(proxy.connects().length).toBeGreaterThan(0);
  });
});
