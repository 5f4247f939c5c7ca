// The SDK's backend-agnostic suites (token cache and single-flight, typed errors) run
// unchanged against the real server and the Salesforce emulator: ./backend.ts's
// `startBackend` is swapped for ./real-server-backend.ts in this file's module graph.
import { vi } from 'vitest';

vi.mock('./backend.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('./backend.js')>();
  const { startRealBackend } = await import('./real-server-backend.js');
  return { ...original, startBackend: () => startRealBackend() };
});

await import('./token.test.js');
await import('./errors.test.js');

// What only the real parts can show: the provider's side of each SDK call.
const { describe, expect, it } = await import('vitest');
const { useBackend } = await import('./harness.js');
const { NOT_VALID_FOR_REST, SESSION_EXPIRED } = await import('./backend.js');
const { NotFoundError } = await import('../src/index.js');
type Real = import('./real-server-backend.js').RealBackend;

const env = useBackend();
const real = () => env.backend as Real;

describe('SDK on the real server and the Salesforce emulator', () => {
  it('the suites in this file run against the real backend, not the test peers', () => {
    expect(env.backend.name).toBe('real server + Salesforce emulator');
    expect(real().emu.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('50 concurrent getToken calls: one SDK request, one refresh at Salesforce', async () => {
    const id = await env.backend.createConnection();
    const { gk, tokenRequests } = env.client();
    const before = real().emu.stats().refreshes;
    const tokens = await Promise.all(Array.from({ length: 50 }, () => gk.getToken(id)));
    expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1);
    expect(tokenRequests()).toHaveLength(1);
    expect(real().emu.stats().refreshes - before).toBe(1);
  });

  it('fetch calls the Salesforce REST API with the token, on the instance URL', async () => {
    const id = await env.backend.createConnection();
    const { gk, restCalls } = env.client();
    const res = await gk.fetch(id, '/services/data/v60.0/limits');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ DailyApiRequests: { Max: expect.any(Number) } });
    const query = await gk.fetch(id, `/services/data/v60.0/query?q=${encodeURIComponent('SELECT Id, Name FROM Account LIMIT 2')}`);
    expect((await query.json()).records).toHaveLength(2);
    const token = await gk.getToken(id);
    expect(restCalls().every((c) => c.authorization === `Bearer ${token.accessToken}` && c.url.origin === new URL(token.instanceUrl!).origin)).toBe(true);
  });

  it('an expired session (401 INVALID_SESSION_ID): one forced refresh through Grantkeeper, one replay', async () => {
    const id = await env.backend.createConnection();
    const { gk, tokenRequests, restCalls } = env.client();
    const first = await gk.getToken(id);
    await env.backend.expireSession(id);
    const stats = real().emu.stats();
    const res = await gk.fetch(id, env.backend.restPath);
    expect(res.status).toBe(200);
    expect(tokenRequests().map((r) => r.url.searchParams.get('force'))).toEqual([null, 'true']);
    expect(restCalls()).toHaveLength(2);
    expect(restCalls()[1]!.authorization).not.toBe(`Bearer ${first.accessToken}`);
    expect(real().emu.stats().rest_unauthorized - stats.rest_unauthorized).toBe(1);
    expect(real().emu.stats().refreshes - stats.refreshes).toBe(1);
    const connection = await gk.getConnection(id);
    expect(connection.generation).toBe((await gk.getToken(id)).generation);
  });

  it('a burst of 10 calls on the dead session: one refresh at Salesforce', async () => {
    const id = await env.backend.createConnection();
    const { gk, tokenRequests } = env.client();
    await gk.getToken(id);
    await env.backend.expireSession(id);
    const before = real().emu.stats().refreshes;
    const answers = await Promise.all(Array.from({ length: 10 }, () => gk.fetch(id, env.backend.restPath)));
    expect(answers.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(tokenRequests().filter((r) => r.url.searchParams.get('force') === 'true')).toHaveLength(1);
    expect(real().emu.stats().refreshes - before).toBe(1);
  });

  it(`a token without the api scope gets "${NOT_VALID_FOR_REST}" from Salesforce: no refresh`, async () => {
    const app = real().emu.createApp({ clientSecret: 'no-api-scope-secret', callbackUrls: ['http://localhost/cb'] });
    await real().api('POST', '/v1/integrations', { key: 'no-api-scope', provider: 'salesforce', client_id: app.client_id, client_secret: 'no-api-scope-secret', auth_base_url: real().emu.url });
    real().emu.createUser({ username: 'noapi@example.com' });
    const tokens = real().emu.issueTokens({ clientId: app.client_id, username: 'noapi@example.com', scope: 'refresh_token' });
    const imported = await real().api('POST', '/v1/connections', {
      integration: 'no-api-scope',
      end_user: { id: 'noapi' },
      credentials: { refresh_token: String(tokens.refresh_token), instance_url: String(tokens.instance_url) },
    });
    const { gk, tokenRequests, restCalls } = env.client();
    const res = await gk.fetch(imported.body.id, env.backend.restPath);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual([{ message: NOT_VALID_FOR_REST, errorCode: 'INVALID_SESSION_ID' }]);
    expect(restCalls()).toHaveLength(1);
    expect(tokenRequests().map((r) => r.url.searchParams.get('force'))).toEqual([null]);
  });

  it('no loop when Salesforce refuses the new token too', async () => {
    const id = await env.backend.createConnection();
    const { gk, tokenRequests, restCalls } = env.client();
    await env.backend.refuseAllSessions(id, SESSION_EXPIRED);
    const res = await gk.fetch(id, env.backend.restPath);
    expect(res.status).toBe(401);
    expect(restCalls()).toHaveLength(2);
    expect(tokenRequests().map((r) => r.url.searchParams.get('force'))).toEqual([null, 'true']);
  });

  it('listConnections pages through the server; deleteConnection revokes and forgets', async () => {
    const integration = `sdk-list-${Date.now()}`;
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) ids.add(await env.backend.createConnection({ integration }));
    const { gk, recorder } = env.client();
    const seen = await gk.listConnections({ integration, limit: 2 }).toArray();
    expect(new Set(seen.map((c) => c.id))).toEqual(ids);
    expect(recorder.to('/v1/connections')).toHaveLength(3);
    const [victim] = ids;
    await gk.getToken(victim!);
    await gk.deleteConnection(victim!);
    await expect(gk.getToken(victim!)).rejects.toBeInstanceOf(NotFoundError);
    expect(await gk.listConnections({ integration }).toArray()).toHaveLength(4);
  });
});
