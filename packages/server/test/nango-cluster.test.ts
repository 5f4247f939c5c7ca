// The /nango routes on two Grantkeeper processes sharing one PostgreSQL (multi-instance needs
// PostgreSQL): a herd of Nango `getConnection(forceRefresh)` calls spread over both makes one
// provider call, and forced refreshes through Nango's API never replay a rotated-out token.
import { Nango } from '@nangohq/node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ServerCluster } from './helpers/cluster.js';

describe('Nango compatibility across two server processes', () => {
  let cluster: ServerCluster;
  let clients: Nango[];
  beforeAll(async () => {
    cluster = await ServerCluster.start(2, { name: 'nango-multi', app: { rotation: true } });
    clients = cluster.servers.map((s) => new Nango({ secretKey: cluster.env.GRANTKEEPER_SECRET_KEY!, host: `${s.url}/nango` }));
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  const importViaNango = async (connectionId: string, username: string) => {
    cluster.emu.createUser({ username });
    const tokens = cluster.emu.issueTokens({ clientId: cluster.clientId, username });
    const res = await cluster.call(cluster.servers[0]!, 'POST', '/nango/connections', {
      provider_config_key: cluster.integration,
      connection_id: connectionId,
      credentials: { type: 'OAUTH2', refresh_token: String(tokens.refresh_token), raw: { id: String(tokens.id) } },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  };

  test('a herd of forced getConnection calls over both processes → one provider call, one token', async () => {
    await importViaNango('herd-multi', 'nango-herd@example.com');
    const before = cluster.emu.stats().refresh_attempts;
    cluster.emu.setLatency(1500);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => clients[i % 2]!.getConnection(cluster.integration, 'herd-multi', true)),
    ).finally(() => cluster.emu.setLatency(0));
    expect(cluster.emu.stats().refresh_attempts - before).toBe(1);
    expect(new Set(results.map((c) => (c.credentials as { access_token: string }).access_token)).size).toBe(1);
  }, 60_000);

  test('rotation on, 60 forced refreshes through Nango\'s API on both processes → no reuse detected, still refreshable', async () => {
    await importViaNango('rotate-multi', 'nango-rotate@example.com');
    const reuseBefore = cluster.emu.stats().reuse_detections;
    let started = 0;
    const worker = async (w: number) => {
      while (started < 60) {
        started++;
        await clients[w % 2]!.getToken(cluster.integration, 'rotate-multi', true);
      }
    };
    await Promise.all(Array.from({ length: 6 }, (_, w) => worker(w)));
    expect(cluster.emu.stats().reuse_detections - reuseBefore).toBe(0);
    const after = await clients[1]!.getConnection(cluster.integration, 'rotate-multi', true);
    expect(after.errors).toEqual([]);
  }, 120_000);
});
