// Server-to-server grants across three Grantkeeper processes on one PostgreSQL: the lease and
// the compare-and-set commit are the same as for refresh tokens, so however many callers on
// however many instances, each expiry (a new connection's first read, then each forced round)
// costs exactly one mint at the provider.
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ServerCluster } from './helpers/cluster.js';

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

describe('server-to-server grants on three processes', () => {
  let cluster: ServerCluster;
  beforeAll(async () => {
    cluster = await ServerCluster.start(3, { name: 's2smulti' });
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  async function connection(kind: 'jwt_bearer' | 'client_credentials'): Promise<{ id: string; mints: () => number }> {
    const { emu } = cluster;
    const clientId = `${cluster.clientId}-${kind}`;
    const user = emu.createUser({ username: `${kind}@s2smulti.example.com`, permittedApps: [clientId] });
    const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey;
    const key = `s2s-${kind.replace('_', '-')}`;
    const created = await cluster.call(cluster.servers[0]!, 'POST', '/v1/integrations', {
      key,
      provider: 'salesforce',
      client_id: clientId,
      grant_type: kind,
      auth_base_url: emu.url,
      ...(kind === 'jwt_bearer' ? { private_key: privateKey, jwt_audience: 'https://login.salesforce.com' } : { client_secret: 'cc-secret' }),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    emu.createApp({ clientId, clientSecret: 'cc-secret', ...(kind === 'jwt_bearer' ? { jwtCertificate: created.body.public_key_pem } : { runAsUsername: user.username }) });
    const imported = await cluster.call(cluster.servers[1]!, 'POST', '/v1/connections', {
      integration: key,
      end_user: { id: `svc-${kind}` },
      credentials: kind === 'jwt_bearer' ? { subject: user.username } : {},
    });
    expect(imported.status, JSON.stringify(imported.body)).toBe(201);
    const grantType = kind === 'jwt_bearer' ? JWT_BEARER : 'client_credentials';
    const mints = () => emu.requestLog({ endpoint: 'token' }).filter((e) => e.client_id === clientId && e.grant_type === grantType && e.status === 200).length;
    return { id: imported.body.id, mints };
  }

  test.each(['jwt_bearer', 'client_credentials'] as const)('%s: 30 concurrent reads across 3 processes per expiry → one mint each time', async (kind) => {
    const { id, mints } = await connection(kind);
    cluster.emu.setLatency(1000);
    try {
      for (let round = 1; round <= 3; round++) {
        // Round 1: the new connection holds no token yet (expired); later rounds force a new one.
        const query = round === 1 ? '' : '?force=true&wait_ms=30000';
        const results = await Promise.all(Array.from({ length: 30 }, (_, i) => cluster.call(cluster.servers[i % 3]!, 'GET', `/v1/connections/${id}/token${query}`)));
        expect(results.map((r) => r.status)).toEqual(Array(30).fill(200));
        expect(new Set(results.map((r) => r.body.access_token)).size).toBe(1);
        expect(mints()).toBe(round);
      }
    } finally {
      cluster.emu.setLatency(0);
    }
  }, 120_000);
});
