// getToken: in-process cache, single-flight, generation handling — counted through a
// recording fetch, so the assertions hold against any backend (./env.backend.ts).
import { describe, expect, it, vi } from 'vitest';
import { useBackend } from './harness.js';

const env = useBackend();

describe('getToken', () => {
  it('returns the token in camelCase with a Date', async () => {
    const id = await env.backend.createConnection();
    const { gk } = env.client();
    const token = await gk.getToken(id);
    expect(token.accessToken).toMatch(/\S{20,}/);
    expect(token.tokenType).toBe('Bearer');
    expect(token.expiresAt).toBeInstanceOf(Date);
    expect(token.expiresAt.getTime()).toBeGreaterThan(Date.now() + 300_000);
    expect(token.instanceUrl).toMatch(/^https?:\/\//);
    expect(Number.isInteger(token.generation)).toBe(true);
  });

  it('sends the secret key and min_valid_s / force only when asked', async () => {
    const id = await env.backend.createConnection();
    const { gk, tokenRequests } = env.client();
    await gk.getToken(id);
    await gk.getToken(id, { minValidS: 600, force: true });
    const [plain, explicit] = tokenRequests();
    expect(plain!.authorization).toBe(`Bearer ${env.backend.secretKey}`);
    expect([...plain!.url.searchParams]).toEqual([]);
    expect(explicit!.url.searchParams.get('min_valid_s')).toBe('600');
    expect(explicit!.url.searchParams.get('force')).toBe('true');
  });

  it('answers from the cache without HTTP while the token has more than minValidS left', async () => {
    const id = await env.backend.createConnection();
    const { gk, tokenRequests } = env.client();
    const first = await gk.getToken(id);
    const again = await gk.getToken(id);
    const withMargin = await gk.getToken(id, { minValidS: 600 });
    expect(again).toBe(first);
    expect(withMargin).toBe(first);
    expect(tokenRequests()).toHaveLength(1);
  });

  it('asks again once the cached token is within minValidS of expiry', async () => {
    const id = await env.backend.createConnection();
    const { gk, tokenRequests } = env.client();
    const token = await gk.getToken(id);
    // Only Date is faked: the SDK's clock moves to 200 s before expiry (inside the 300 s margin).
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(token.expiresAt.getTime() - 200_000);
      await gk.getToken(id).catch(() => {}); // whatever the backend answers, it was asked
      expect(tokenRequests()).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a larger minValidS than the cached token has left goes to the server', async () => {
    const id = await env.backend.createConnection();
    const { gk, tokenRequests } = env.client();
    const token = await gk.getToken(id);
    const leftS = Math.floor((token.expiresAt.getTime() - Date.now()) / 1000);
    await gk.getToken(id, { minValidS: leftS + 1 }).catch(() => {});
    expect(tokenRequests()).toHaveLength(2);
    expect(tokenRequests()[1]!.url.searchParams.get('min_valid_s')).toBe(String(leftS + 1));
  });

  it('force=true always asks the server, and the answer replaces the cached token', async () => {
    const id = await env.backend.createConnection();
    const { gk, tokenRequests } = env.client();
    const first = await gk.getToken(id);
    const forced = await gk.getToken(id, { force: true });
    expect(forced.accessToken).not.toBe(first.accessToken);
    expect(forced.generation).toBeGreaterThan(first.generation);
    expect(await gk.getToken(id)).toBe(forced);
    expect(tokenRequests()).toHaveLength(2);
  });

  it('single-flight: 50 concurrent callers share one request', async () => {
    const id = await env.backend.createConnection();
    const { gk, tokenRequests } = env.client();
    const tokens = await Promise.all(Array.from({ length: 50 }, () => gk.getToken(id)));
    expect(tokenRequests()).toHaveLength(1);
    expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1);
  });

  it('single-flight is per connection', async () => {
    const ids = await Promise.all([env.backend.createConnection(), env.backend.createConnection(), env.backend.createConnection()]);
    const { gk, tokenRequests } = env.client();
    await Promise.all(ids.flatMap((id) => Array.from({ length: 10 }, () => gk.getToken(id))));
    expect(tokenRequests()).toHaveLength(3);
  });

  it('concurrent forced refreshes share one request too', async () => {
    const id = await env.backend.createConnection();
    const { gk, tokenRequests } = env.client();
    const tokens = await Promise.all(Array.from({ length: 20 }, () => gk.getToken(id, { force: true })));
    expect(tokenRequests()).toHaveLength(1);
    expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1);
  });

  it('a newer generation seen on the connection invalidates the cached token', async () => {
    const id = await env.backend.createConnection();
    const { gk, tokenRequests } = env.client();
    const before = await gk.getToken(id);
    await env.backend.replaceGrant(id); // a reconnect: new grant, generation + 1
    const connection = await gk.getConnection(id);
    expect(connection.generation).toBeGreaterThan(before.generation);
    const after = await gk.getToken(id);
    expect(tokenRequests()).toHaveLength(2);
    expect(after.generation).toBe(connection.generation);
    expect(after.accessToken).not.toBe(before.accessToken);
  });

  it('the same generation keeps the cached token', async () => {
    const id = await env.backend.createConnection();
    const { gk, tokenRequests } = env.client();
    const before = await gk.getToken(id);
    await gk.getConnection(id);
    expect(await gk.getToken(id)).toBe(before);
    expect(tokenRequests()).toHaveLength(1);
  });

  it('invalidateToken(id, generation) from a webhook drops an older token only', async () => {
    const id = await env.backend.createConnection();
    const { gk, tokenRequests } = env.client();
    const token = await gk.getToken(id);
    gk.invalidateToken(id, token.generation); // a webhook about the grant we already hold
    await gk.getToken(id);
    expect(tokenRequests()).toHaveLength(1);
    gk.invalidateToken(id, token.generation + 1); // e.g. connection.reconnected
    await gk.getToken(id);
    expect(tokenRequests()).toHaveLength(2);
    gk.invalidateToken(id);
    await gk.getToken(id);
    expect(tokenRequests()).toHaveLength(3);
  });

  it('refresh() returns the new token and caches it', async () => {
    const id = await env.backend.createConnection();
    const { gk, recorder } = env.client();
    const before = await gk.getToken(id);
    const refreshed = await gk.refresh(id, { idempotencyKey: 'try-now-1' });
    expect(refreshed.accessToken).not.toBe(before.accessToken);
    expect(await gk.getToken(id)).toBe(refreshed);
    expect(recorder.to('/refresh').map((r) => r.method)).toEqual(['POST']);
    expect(recorder.to('/token')).toHaveLength(1);
  });

  it('a caller aborting its wait does not fail the others sharing the request', async () => {
    const id = await env.backend.createConnection();
    const { gk, tokenRequests } = env.client();
    const controller = new AbortController();
    const impatient = gk.getToken(id, { signal: controller.signal });
    const patient = gk.getToken(id);
    controller.abort(new Error('gave up'));
    await expect(impatient).rejects.toThrow('gave up');
    await expect(patient).resolves.toMatchObject({ tokenType: 'Bearer' });
    expect(tokenRequests()).toHaveLength(1);
  });

  it('errors are not cached: the next call asks again', async (ctx) => {
    const id = await env.backend.createConnection();
    const { gk, tokenRequests } = env.client();
    const failing = env.backend.problemStates.provider_unavailable;
    if (!failing) return ctx.skip('this backend cannot produce that state');
    await failing(id);
    await expect(gk.getToken(id)).rejects.toThrow();
    await expect(gk.getToken(id)).rejects.toThrow();
    expect(tokenRequests()).toHaveLength(2);
  });
});
