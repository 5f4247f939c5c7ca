// Management calls: cursor pagination, get, connect sessions, delete.
import { describe, expect, it } from 'vitest';
import { Grantkeeper, NotFoundError, ValidationError, type Connection } from '../src/index.js';
import { useBackend } from './harness.js';

const env = useBackend();

describe('listConnections', () => {
  it('iterates every page, following next_cursor', async () => {
    const integration = `pagination-${Date.now()}`;
    const created = new Set<string>();
    for (let i = 0; i < 7; i++) created.add(await env.backend.createConnection({ integration }));
    const { gk, recorder } = env.client();

    const seen: Connection[] = [];
    for await (const connection of gk.listConnections({ integration, limit: 3 })) seen.push(connection);
    expect(new Set(seen.map((c) => c.id))).toEqual(created);
    expect(seen.every((c) => c.integration === integration)).toBe(true);

    const pages = recorder.to('/v1/connections');
    expect(pages).toHaveLength(3); // 3 + 3 + 1
    expect(pages[0]!.url.searchParams.get('cursor')).toBeNull();
    expect(pages[1]!.url.searchParams.get('cursor')).toBeTruthy();
    expect(pages.every((p) => p.url.searchParams.get('limit') === '3')).toBe(true);
  });

  it('fetches lazily: breaking early requests no further page', async () => {
    const integration = `lazy-${Date.now()}`;
    for (let i = 0; i < 5; i++) await env.backend.createConnection({ integration });
    const { gk, recorder } = env.client();
    const firstTwo = await gk.listConnections({ integration, limit: 2 }).toArray(2);
    expect(firstTwo).toHaveLength(2);
    expect(recorder.to('/v1/connections')).toHaveLength(1);
  });

  it('pages() exposes next_cursor, and a cursor resumes where it left off', async () => {
    const integration = `resume-${Date.now()}`;
    for (let i = 0; i < 4; i++) await env.backend.createConnection({ integration });
    const { gk } = env.client();
    const pages = gk.listConnections({ integration, limit: 3 }).pages();
    const first = (await pages.next()).value!;
    expect(first.data).toHaveLength(3);
    expect(first.next_cursor).toEqual(expect.any(String));
    const rest = await gk.listConnections({ integration, limit: 3, cursor: first.next_cursor! }).toArray();
    expect(rest).toHaveLength(1);
    expect(first.data.map((c) => c.id)).not.toContain(rest[0]!.id);
  });

  it('passes filters with their wire names', async () => {
    const orgId = '00D00000000TEST1';
    const id = await env.backend.createConnection({ integration: 'filters', endUserId: 'user-filter', orgId });
    const { gk, recorder } = env.client();
    const found = await gk.listConnections({ integration: 'filters', status: 'active', end_user_id: 'user-filter', org_id: orgId }).toArray();
    expect(found.map((c) => c.id)).toEqual([id]);
    const query = recorder.to('/v1/connections')[0]!.url.searchParams;
    expect(Object.fromEntries(query)).toEqual({ integration: 'filters', status: 'active', end_user_id: 'user-filter', org_id: orgId });
  });

  it('an empty result is one page and no items', async () => {
    const { gk, recorder } = env.client();
    expect(await gk.listConnections({ integration: 'nothing-here' }).toArray()).toEqual([]);
    expect(recorder.to('/v1/connections')).toHaveLength(1);
  });

  it('a bad limit is a ValidationError', async () => {
    const { gk } = env.client();
    await expect(gk.listConnections({ limit: 100_000 }).toArray()).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('connections and connect sessions', () => {
  it('getConnection returns the API object as-is (snake_case)', async () => {
    const id = await env.backend.createConnection({ endUserId: 'user-42' });
    const { gk } = env.client();
    const connection = await gk.getConnection(id);
    expect(connection).toMatchObject({ id, end_user: { id: 'user-42' }, status: 'active' });
    expect(connection).toHaveProperty('provider_account');
    expect(connection).toHaveProperty('access_token_expires_at');
  });

  it('createConnectSession posts the body as given, with an Idempotency-Key', async () => {
    const { gk, recorder } = env.client();
    const session = await gk.createConnectSession(
      { integration: 'salesforce-prod', end_user: { id: 'user-7', email: 'u7@example.com' }, return_url: 'https://app.example/done' },
      { idempotencyKey: 'connect-user-7' },
    );
    expect(session.url).toContain(session.token);
    expect(Date.parse(session.expires_at)).toBeGreaterThan(Date.now());
    expect(recorder.to('/v1/connect-sessions')[0]!.method).toBe('POST');
  });

  it('createConnectSession with missing fields is a ValidationError', async () => {
    const { gk } = env.client();
    const error = await gk.createConnectSession({ integration: 'salesforce-prod' } as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors.map((e) => e.field)).toContain('end_user.id');
  });

  it('deleteConnection answers void, drops the cached token, and the connection is gone', async () => {
    const id = await env.backend.createConnection();
    const { gk, recorder } = env.client();
    await gk.getToken(id);
    await expect(gk.deleteConnection(id)).resolves.toBeUndefined();
    expect(recorder.requests.at(-1)!.method).toBe('DELETE');
    await expect(gk.getToken(id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(gk.getConnection(id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('ids are path-escaped', async () => {
    const { gk, recorder } = env.client();
    await gk.getConnection('../v1/connections?x=1').catch(() => {});
    expect(recorder.requests.at(-1)!.url.pathname).toBe('/v1/connections/..%2Fv1%2Fconnections%3Fx%3D1');
  });

  it('a timeout aborts a call to Grantkeeper', async () => {
    const { createServer } = await import('node:http');
    const silent = createServer(() => {}); // accepts, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      const gk = new Grantkeeper({ baseUrl: `http://127.0.0.1:${port}`, secretKey: 'k', timeoutMs: 100 });
      await expect(gk.getConnection('conn_1')).rejects.toMatchObject({ name: 'TimeoutError' });
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
