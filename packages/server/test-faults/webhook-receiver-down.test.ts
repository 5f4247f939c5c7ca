// The webhook receiver down for a while during a storm of state changes on 3 instances,
// then back: every event id in the outbox arrives, signed.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { until } from '../test/helpers/wait.js';
import { startFaultCluster, type Cluster } from './cluster.js';

describe('webhook receiver outage', () => {
  let cluster: Cluster;
  let receiver: Server;
  let port = 0;
  const received = new Map<string, number>();
  let secret = '';

  const listen = () =>
    new Promise<void>((resolve) => {
      receiver = createServer((req, res) => {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          try {
            new Webhook(secret).verify(body, req.headers as Record<string, string>);
            const id = String(req.headers['webhook-id']);
            received.set(id, (received.get(id) ?? 0) + 1);
            res.writeHead(204).end();
          } catch {
            res.writeHead(400).end();
          }
        });
      });
      receiver.listen(port, '127.0.0.1', () => {
        port = (receiver.address() as AddressInfo).port;
        resolve();
      });
    });

  beforeAll(async () => {
    await listen();
    cluster = await startFaultCluster(3, {
      env: {
        GRANTKEEPER_TOKEN_TIMEOUT_MS: '1000',
        GRANTKEEPER_BACKOFF_BASE_MS: '50',
        GRANTKEEPER_BACKOFF_MAX_MS: '100',
        GRANTKEEPER_WEBHOOK_RETRY_BASE_MS: '200',
        GRANTKEEPER_WEBHOOK_RETRY_MAX_MS: '1000',
        GRANTKEEPER_WEBHOOK_POLL_INTERVAL_MS: '100',
      },
    });
    const endpoint = await cluster.call(cluster.servers[0]!, 'POST', '/v1/webhook-endpoints', { url: `http://127.0.0.1:${port}/hooks` });
    expect(endpoint.status).toBe(201);
    secret = endpoint.body.secret;
    await cluster.importGrants(100);
  });
  afterAll(async () => {
    receiver?.close();
    await cluster?.stop();
  });

  test('no event id is missing after the receiver comes back', async () => {
    // Failures and recoveries: each connection goes refresh_failing, then active again.
    const deadline = Date.now() + 12_000;
    const flapper = (async () => {
      let n = 0;
      while (Date.now() < deadline) {
        if (n++ % 2 === 0) cluster.emu.setFault({ status: 503 });
        else cluster.emu.clearFaults();
        if (n === 3) await new Promise<void>((r) => receiver.close(() => r())); // receiver goes down
        if (n === 9) await listen(); // …and comes back on the same port
        await new Promise((r) => setTimeout(r, 1000));
      }
      cluster.emu.clearFaults();
    })();
    await cluster.storm(20, () => Date.now() > deadline);
    await flapper;
    for (const c of cluster.connections) await cluster.call(cluster.random(), 'POST', `/v1/connections/${c.id}/refresh`);

    const rows = await cluster.query<{ id: string }>('SELECT id FROM outbox');
    const expected = rows.map((r) => `evt_${r.id.replace(/-/g, '')}`);
    expect(expected.length).toBeGreaterThan(cluster.connections.length); // created + failing + recovered
    await until('every event id delivered', () => expected.every((id) => received.has(id)), 60_000, 250);
    const duplicates = [...received.values()].filter((n) => n > 1).length;
    console.log(`webhook outage: ${expected.length} events, all received; ${duplicates} delivered more than once`);
  });
});
