// API keys, sessions and the wrong-key limit across two server processes on one PostgreSQL.
// The periodic re-read is set to an hour, so whatever reaches the other instance travelled
// by NOTIFY: a key made on one works on the other, a key revoked on one is refused by both
// (with the sessions it made), a logout on one ends the session on both, and wrong keys are
// counted once for the cluster.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ServerCluster } from './helpers/cluster.js';
import type { ServerProcess } from './helpers/processes.js';
import { until } from './helpers/wait.js';

const HOUR = '3600000';

async function status(server: ServerProcess, path: string, headers: Record<string, string>): Promise<number> {
  return (await fetch(`${server.url}${path}`, { headers })).status;
}

async function login(server: ServerProcess, key: string): Promise<string> {
  const res = await fetch(`${server.url}/ui/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key }) });
  expect(res.status).toBe(204);
  return res.headers.get('set-cookie')!.split(';')[0]!;
}

describe('API keys and sessions on two processes', () => {
  let cluster: ServerCluster;
  let a: ServerProcess;
  let b: ServerProcess;
  beforeAll(async () => {
    cluster = await ServerCluster.start(2, { name: 'apikeys', env: { GRANTKEEPER_AUTH_SYNC_INTERVAL_MS: HOUR, GRANTKEEPER_LOGIN_MAX_FAILURES: '100000' } });
    [a, b] = cluster.servers as [ServerProcess, ServerProcess];
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  test('a key made on one instance works on the other; revoked on one, both refuse it and end its sessions', async () => {
    const created = await cluster.call(a, 'POST', '/v1/api-keys', { name: 'shared', scopes: ['connections:write'] });
    expect(created.status).toBe(201);
    const bearer = { authorization: `Bearer ${created.body.secret}` };
    expect(await status(a, '/v1/connections', bearer)).toBe(200);
    await until('the other instance to accept the new key', async () => (await status(b, '/v1/connections', bearer)) === 200, 10_000);
    const sessionOnB = await login(b, created.body.secret);
    expect(await status(b, '/v1/connections', { cookie: sessionOnB })).toBe(200);

    expect((await cluster.call(a, 'DELETE', `/v1/api-keys/${created.body.id}`)).status).toBe(204);
    // The instance that revoked it refuses it from the moment DELETE returned …
    expect(await status(a, '/v1/connections', bearer)).toBe(401);
    expect(await status(a, '/v1/connections', { cookie: sessionOnB })).toBe(401);
    // … and the other as soon as the notification arrives (its own re-read is an hour away).
    await until('the other instance to refuse the revoked key', async () => (await status(b, '/v1/connections', bearer)) === 401, 10_000);
    expect(await status(b, '/v1/connections', { cookie: sessionOnB })).toBe(401);
  });

  test('a logout on one instance ends the session on the other', async () => {
    const cookie = await login(a, cluster.env.GRANTKEEPER_SECRET_KEY!);
    expect(await status(b, '/v1/connections', { cookie })).toBe(200);
    const logout = await fetch(`${b.url}/ui/logout`, { method: 'POST', headers: { cookie }, redirect: 'manual' });
    expect(logout.status).toBe(303);
    expect(await status(b, '/v1/connections', { cookie })).toBe(401);
    await until('the other instance to end the session', async () => (await status(a, '/v1/connections', { cookie })) === 401, 10_000);
    const rows = await cluster.query<{ n: number }>('SELECT count(*)::int AS n FROM dashboard_session_revocations');
    expect(rows[0]!.n).toBe(1);
  });
});

describe('the wrong-key limit on two processes', () => {
  let cluster: ServerCluster;
  let a: ServerProcess;
  let b: ServerProcess;
  beforeAll(async () => {
    cluster = await ServerCluster.start(2, { name: 'wrongkeys', env: { GRANTKEEPER_AUTH_SYNC_INTERVAL_MS: HOUR, GRANTKEEPER_LOGIN_MAX_FAILURES: '4', GRANTKEEPER_LOGIN_WINDOW_S: '600' } });
    [a, b] = cluster.servers as [ServerProcess, ServerProcess];
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  test('wrong keys are counted once for the cluster: 2 on each instance reach the limit of 4, then both answer 429', async () => {
    const right = { authorization: `Bearer ${cluster.env.GRANTKEEPER_SECRET_KEY}` };
    const wrong = (i: number) => ({ authorization: `Bearer gk_sk_wrong_${i}_0000000000000000` });
    expect(await status(a, '/v1/providers', wrong(1))).toBe(401);
    expect(await status(b, '/v1/providers', wrong(2))).toBe(401);
    expect(await status(a, '/v1/providers', wrong(3))).toBe(401);
    expect(await status(b, '/v1/providers', wrong(4))).toBe(401);
    // The fourth failure blocked the address on b, and b told a.
    expect(await status(b, '/v1/providers', right)).toBe(429);
    await until('the other instance to refuse the blocked address', async () => (await status(a, '/v1/providers', right)) === 429, 10_000);
    const refused = await fetch(`${a.url}/v1/providers`, { headers: wrong(5) });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    const rows = await cluster.query<{ client: string; failures: number }>('SELECT client, failures FROM auth_failures');
    expect(rows).toEqual([{ client: '127.0.0.1', failures: 4 }]);
  });
});
