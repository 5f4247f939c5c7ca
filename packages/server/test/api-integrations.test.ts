import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BACKENDS } from './helpers/databases.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const salesforce = (key: string, extra: Record<string, unknown> = {}) => ({
  key,
  provider: 'salesforce',
  client_id: `client-${key}`,
  client_secret: `secret-${key}-do-not-leak`,
  ...extra,
});

describe.each(BACKENDS)('integrations API on %s', (backend) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(backend, {}, { logName: 'api-integrations' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  test('creates an integration with defaults and never returns the secret', async () => {
    const res = await server.api('POST', '/v1/integrations', salesforce('sf-defaults'));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      key: 'sf-defaults',
      provider: 'salesforce',
      client_id: 'client-sf-defaults',
      has_client_secret: true,
      scopes: ['api', 'refresh_token'],
      auth_base_url: 'https://login.salesforce.com',
      refresh: { margin_s: 300, keepalive_s: 86400, access_token_ttl_s: 7200, max_per_s: 20, keep_warm: false },
      status: 'ok',
      last_error: null,
    });
    expect(JSON.stringify(res.body)).not.toContain('do-not-leak');
    const got = await server.api('GET', '/v1/integrations/sf-defaults');
    expect(got.status).toBe(200);
    expect(got.body.connection_count).toBe(0);
    expect(JSON.stringify(got.body)).not.toContain('do-not-leak');
  });

  test('a sandbox integration defaults to test.salesforce.com; auth_base_url is kept without a trailing slash', async () => {
    const sandbox = await server.api('POST', '/v1/integrations', { ...salesforce('sf-sandbox'), provider: 'salesforce-sandbox' });
    expect(sandbox.body.auth_base_url).toBe('https://test.salesforce.com');
    const custom = await server.api('POST', '/v1/integrations', salesforce('sf-mydomain', { auth_base_url: 'https://acme.my.salesforce.com/' }));
    expect(custom.body.auth_base_url).toBe('https://acme.my.salesforce.com');
  });

  test('rejects a duplicate key with 409', async () => {
    await server.api('POST', '/v1/integrations', salesforce('sf-dup'));
    const res = await server.api('POST', '/v1/integrations', salesforce('sf-dup'));
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body).toMatchObject({ status: 409, code: 'integration_exists' });
  });

  test.each([
    ['an unknown field', { ...salesforce('bad1'), colour: 'blue' }, 'colour'],
    ['Salesforce scopes without refresh_token or offline_access', salesforce('bad2', { scopes: ['api'] }), 'scopes'],
    ['margin_s not below access_token_ttl_s', salesforce('bad3', { refresh: { margin_s: 600, access_token_ttl_s: 600 } }), 'refresh.margin_s'],
    ['keepalive_s below margin_s', salesforce('bad4', { refresh: { margin_s: 100, keepalive_s: 50 } }), 'refresh.keepalive_s'],
    ['an unknown refresh setting', salesforce('bad5', { refresh: { margin: 1 } }), 'refresh.margin'],
    ['a zero duration', salesforce('bad6', { refresh: { margin_s: 0 } }), 'refresh.margin_s'],
    ['an unknown provider', { ...salesforce('bad7'), provider: 'myspace' }, 'provider'],
    ['a non-http auth_base_url', salesforce('bad8', { auth_base_url: 'ftp://login.salesforce.com' }), 'auth_base_url'],
    ['an oauth2 provider without token_url', { key: 'bad9', provider: 'oauth2', client_id: 'x', authorization_url: 'https://a.example/auth' }, 'token_url'],
    ['endpoint URLs on a catalog provider', salesforce('bad10', { token_url: 'https://evil.example/token' }), 'token_url'],
    ['a key with a space', salesforce('bad key'), 'key'],
  ])('rejects %s with 400 naming the field, creating nothing', async (_name, body, field) => {
    const res = await server.api('POST', '/v1/integrations', body);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    const list = await server.api('GET', '/v1/integrations?limit=500');
    expect(list.body.data.map((i: { key: string }) => i.key)).not.toContain((body as { key: string }).key);
  });

  test('rejects malformed JSON and a wrong content type with a 4xx problem', async () => {
    const bad = await server.api('POST', '/v1/integrations', '{"key": ');
    expect(bad.status).toBe(400);
    expect(bad.body.status).toBe(400);
    const text = await fetch(`${server.url}/v1/integrations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.key}`, 'content-type': 'application/xml' },
      body: 'hello',
    });
    expect(text.status).toBe(415);
  });

  test('a custom oauth2 provider keeps its endpoints and client auth', async () => {
    const res = await server.api('POST', '/v1/integrations', {
      key: 'custom',
      provider: 'oauth2',
      client_id: 'x',
      client_secret: 'y',
      scopes: ['read'],
      authorization_url: 'https://auth.example.com/authorize',
      token_url: 'https://auth.example.com/token',
      revoke_url: 'https://auth.example.com/revoke',
      client_auth: 'basic',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      provider: 'oauth2',
      token_url: 'https://auth.example.com/token',
      revoke_url: 'https://auth.example.com/revoke',
      client_auth: 'basic',
      auth_base_url: null,
    });
  });

  test('needs a valid API key', async () => {
    const none = await fetch(`${server.url}/v1/integrations`);
    expect(none.status).toBe(401);
    expect((await none.json()).code).toBe('unauthorized');
    const wrong = await server.api('GET', '/v1/integrations', undefined, { authorization: 'Bearer gk_sk_wrong' });
    expect(wrong.status).toBe(401);
    const basic = await server.api('GET', '/v1/integrations', undefined, { authorization: `Basic ${server.key}` });
    expect(basic.status).toBe(401);
  });

  test('lists with cursors, newest first, without duplicates or gaps', async () => {
    for (let i = 0; i < 7; i++) await server.api('POST', '/v1/integrations', salesforce(`page-${i}`));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { data: { key: string }[]; next_cursor: string | null } } = await server.api(
        'GET',
        `/v1/integrations?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(res.body.data.length).toBeLessThanOrEqual(3);
      seen.push(...res.body.data.map((i) => i.key));
      cursor = res.body.next_cursor;
    } while (cursor);
    const pages = seen.filter((k) => k.startsWith('page-'));
    expect(pages).toEqual(['page-6', 'page-5', 'page-4', 'page-3', 'page-2', 'page-1', 'page-0']);
    expect(new Set(seen).size).toBe(seen.length);
    const bad = await server.api('GET', '/v1/integrations?cursor=not-a-cursor');
    expect(bad.status).toBe(400);
    const tooMany = await server.api('GET', '/v1/integrations?limit=501');
    expect(tooMany.status).toBe(400);
  });

  test('patches settings; provider and client_id are fixed while connections exist', async () => {
    await server.api('POST', '/v1/integrations', salesforce('patchme'));
    const patched = await server.api('PATCH', '/v1/integrations/patchme', {
      scopes: ['api', 'offline_access'],
      refresh: { keep_warm: true },
      auth_base_url: 'https://acme.my.salesforce.com',
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      scopes: ['api', 'offline_access'],
      auth_base_url: 'https://acme.my.salesforce.com',
      refresh: { keep_warm: true, margin_s: 300 },
    });
    const invalid = await server.api('PATCH', '/v1/integrations/patchme', { refresh: { margin_s: 9000 } });
    expect(invalid.status).toBe(400);
    const empty = await server.api('PATCH', '/v1/integrations/patchme', {});
    expect(empty.status).toBe(400);

    const imported = await server.api('POST', '/v1/connections', {
      integration: 'patchme',
      end_user: { id: 'u1' },
      credentials: { refresh_token: 'rt-patchme-1' },
    });
    expect(imported.status).toBe(201);
    const clientChange = await server.api('PATCH', '/v1/integrations/patchme', { client_id: 'other' });
    expect(clientChange.status).toBe(409);
    expect(clientChange.body.code).toBe('integration_in_use');
    const secretChange = await server.api('PATCH', '/v1/integrations/patchme', { client_secret: 'new-secret' });
    expect(secretChange.status).toBe(200);
    const missing = await server.api('PATCH', '/v1/integrations/nope', { scopes: ['refresh_token'] });
    expect(missing.status).toBe(404);
  });

  test('delete refuses while connections exist; force deletes them and queues revocations', async () => {
    await server.api('POST', '/v1/integrations', salesforce('deleteme'));
    const conn = await server.api('POST', '/v1/connections', {
      integration: 'deleteme',
      end_user: { id: 'u1' },
      credentials: { refresh_token: 'rt-deleteme-1' },
    });
    const refused = await server.api('DELETE', '/v1/integrations/deleteme');
    expect(refused.status).toBe(409);
    expect(refused.body.connection_count).toBe(1);
    const forced = await server.api('DELETE', '/v1/integrations/deleteme?force=true');
    expect(forced.status).toBe(204);
    expect((await server.api('GET', '/v1/integrations/deleteme')).status).toBe(404);
    expect((await server.api('GET', `/v1/connections/${conn.body.id}`)).status).toBe(404);
    const revocations = await server.ctx.db.kysely.selectFrom('revocations').selectAll().execute();
    expect(revocations.some((r) => r.token_enc !== null && !r.token_enc.includes('rt-deleteme-1'))).toBe(true);
  });

  test('Idempotency-Key: a repeat returns the first response and creates nothing; another body is refused', async () => {
    const headers = { 'idempotency-key': 'create-idem-1' };
    const first = await server.api('POST', '/v1/integrations', salesforce('idem'), headers);
    expect(first.status).toBe(201);
    const again = await server.api('POST', '/v1/integrations', salesforce('idem'), headers);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    const other = await server.api('POST', '/v1/integrations', salesforce('idem-other'), headers);
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('idempotency_key_reused');
    expect((await server.api('GET', '/v1/integrations/idem-other')).status).toBe(404);
    // Without the key the same body is a conflict: the key is what makes a retry safe.
    expect((await server.api('POST', '/v1/integrations', salesforce('idem'))).status).toBe(409);
  });
});
