// Grantkeeper.fetch against a Salesforce-like REST endpoint that answers bad sessions as
// docs/salesforce.md shows: one forced refresh and one replay for an expired
// session; none for sessions a refresh cannot fix; never a loop.
import { describe, expect, it } from 'vitest';
import { resolveUrl, isReplayable } from '../src/fetch.js';
import { NOT_VALID_FOR_REST, SESSION_EXPIRED } from './backend.js';
import { useBackend } from './harness.js';

const env = useBackend();

describe('fetch', () => {
  it('injects the bearer token and resolves the path against instance_url', async () => {
    const id = await env.backend.createConnection();
    const { gk, restCalls } = env.client();
    const res = await gk.fetch(id, env.backend.restPath);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ Name: 'Acme' });
    const token = await gk.getToken(id);
    expect(restCalls()).toHaveLength(1);
    expect(restCalls()[0]!.authorization).toBe(`Bearer ${token.accessToken}`);
    expect(restCalls()[0]!.url.origin).toBe(new URL(token.instanceUrl!).origin);
  });

  it('keeps caller headers and overrides any Authorization given', async () => {
    const id = await env.backend.createConnection();
    const { gk, restCalls } = env.client();
    const res = await gk.fetch(id, env.backend.restPath, { headers: { authorization: 'Bearer stale', 'x-trace': '1' } });
    expect(res.status).toBe(200);
    expect(restCalls()[0]!.authorization).not.toBe('Bearer stale');
  });

  it('an expired session: one forced refresh, one replay with the new token', async () => {
    const id = await env.backend.createConnection();
    const { gk, tokenRequests, restCalls } = env.client();
    const before = await gk.getToken(id);
    await env.backend.expireSession(id);

    const res = await gk.fetch(id, env.backend.restPath);
    expect(res.status).toBe(200);
    expect(tokenRequests().map((r) => r.url.searchParams.get('force'))).toEqual([null, 'true']);
    const calls = restCalls();
    expect(calls).toHaveLength(2);
    expect(calls[0]!.authorization).toBe(`Bearer ${before.accessToken}`);
    expect(calls[1]!.authorization).not.toBe(`Bearer ${before.accessToken}`);
    // The new token is cached: the next call needs no token request.
    await gk.fetch(id, env.backend.restPath);
    expect(tokenRequests()).toHaveLength(2);
  });

  it('replays a POST with its (string) body', async () => {
    const id = await env.backend.createConnection();
    const { gk, restCalls } = env.client();
    await gk.getToken(id);
    await env.backend.expireSession(id);
    const body = JSON.stringify({ Name: 'Acme' });
    const res = await gk.fetch(id, '/services/data/v60.0/sobjects/Account', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ received: body });
    expect(restCalls()).toHaveLength(2);
  });

  it('does not retry a request whose body is a stream (it cannot be replayed)', async () => {
    const id = await env.backend.createConnection();
    const { gk, tokenRequests, restCalls } = env.client();
    await gk.getToken(id);
    await env.backend.expireSession(id);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"Name":"Acme"}'));
        controller.close();
      },
    });
    const res = await gk.fetch(id, '/services/data/v60.0/sobjects/Account', { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual([{ message: SESSION_EXPIRED, errorCode: 'INVALID_SESSION_ID' }]);
    expect(restCalls()).toHaveLength(1);
    expect(tokenRequests()).toHaveLength(1);
  });

  it(`never refreshes on "${NOT_VALID_FOR_REST}"`, async () => {
    const id = await env.backend.createConnection();
    const { gk, tokenRequests, restCalls } = env.client();
    await env.backend.refuseAllSessions(id, NOT_VALID_FOR_REST);
    const res = await gk.fetch(id, env.backend.restPath);
    expect(res.status).toBe(401);
    // The caller gets the provider's answer untouched.
    expect(await res.json()).toEqual([{ message: NOT_VALID_FOR_REST, errorCode: 'INVALID_SESSION_ID' }]);
    expect(restCalls()).toHaveLength(1);
    expect(tokenRequests().map((r) => r.url.searchParams.get('force'))).toEqual([null]);
  });

  it('never refreshes on "Connected app is not attached to Agent"', async () => {
    const id = await env.backend.createConnection();
    const { gk, tokenRequests, restCalls } = env.client();
    await env.backend.refuseAllSessions(id, 'Connected app is not attached to Agent');
    expect((await gk.fetch(id, env.backend.restPath)).status).toBe(401);
    expect(restCalls()).toHaveLength(1);
    expect(tokenRequests()).toHaveLength(1);
  });

  it('no loop: when the replay is refused too, that 401 is returned', async () => {
    const id = await env.backend.createConnection();
    const { gk, tokenRequests, restCalls } = env.client();
    await env.backend.refuseAllSessions(id, SESSION_EXPIRED);
    const res = await gk.fetch(id, env.backend.restPath);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual([{ message: SESSION_EXPIRED, errorCode: 'INVALID_SESSION_ID' }]);
    expect(restCalls()).toHaveLength(2);
    expect(tokenRequests().map((r) => r.url.searchParams.get('force'))).toEqual([null, 'true']);
  });

  it('a burst of 401s on the same expired token causes one forced refresh', async () => {
    const id = await env.backend.createConnection();
    const { gk, tokenRequests, restCalls } = env.client();
    await gk.getToken(id);
    await env.backend.expireSession(id);
    const answers = await Promise.all(Array.from({ length: 10 }, () => gk.fetch(id, env.backend.restPath)));
    expect(answers.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(tokenRequests().filter((r) => r.url.searchParams.get('force') === 'true')).toHaveLength(1);
    expect(restCalls()).toHaveLength(20);
  });

  it('other 401s (not INVALID_SESSION_ID) are returned without a refresh', async () => {
    const id = await env.backend.createConnection();
    const { gk, tokenRequests } = env.client();
    const token = await gk.getToken(id);
    // An absolute URL on the instance, with a path the peer does not serve: 404, no retry.
    const res = await gk.fetch(id, new URL('/services/other', token.instanceUrl!));
    expect(res.status).toBe(404);
    expect(tokenRequests()).toHaveLength(1);
  });

  it('token errors surface as typed errors, with no provider call', async (ctx) => {
    const id = await env.backend.createConnection();
    const toReauth = env.backend.problemStates.reauth_required;
    if (!toReauth) return ctx.skip('this backend cannot produce that state');
    await toReauth(id);
    const { gk, restCalls } = env.client();
    await expect(gk.fetch(id, env.backend.restPath)).rejects.toMatchObject({ name: 'ReauthRequiredError', status: 409 });
    expect(restCalls()).toHaveLength(0);
  });
});

describe('fetch helpers', () => {
  it('resolveUrl keeps relative paths on the instance origin', () => {
    const base = 'https://acme.my.salesforce.com';
    expect(resolveUrl('/services/data/v60.0/', base).href).toBe('https://acme.my.salesforce.com/services/data/v60.0/');
    expect(resolveUrl('services/data', base).href).toBe('https://acme.my.salesforce.com/services/data');
    expect(resolveUrl('https://other.example/x', base).href).toBe('https://other.example/x');
    expect(() => resolveUrl('//evil.example/steal', base)).toThrow(TypeError);
    expect(() => resolveUrl('/x', null)).toThrow(TypeError);
  });

  it('isReplayable: fixed bodies yes, streams no', async () => {
    expect(isReplayable(undefined)).toBe(true);
    expect(isReplayable('x')).toBe(true);
    expect(isReplayable(new URLSearchParams('a=1'))).toBe(true);
    expect(isReplayable(new Uint8Array(3))).toBe(true);
    expect(isReplayable(new Blob(['x']))).toBe(true);
    expect(isReplayable(new ReadableStream())).toBe(false);
    const { Readable } = await import('node:stream');
    expect(isReplayable(Readable.from(['x']) as never)).toBe(false);
  });
});
