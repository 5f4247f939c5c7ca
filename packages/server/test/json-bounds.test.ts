// JSON bodies are bounded at the edge: nested deeper than GRANTKEEPER_JSON_MAX_DEPTH is a
// 400 json_too_deep problem before any handler runs (4,500 levels of metadata once overflowed
// the stack: a 500), larger than the body limit a 413; nothing changes and the process keeps
// serving. On both databases.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { nestsDeeperThan } from '../src/api/json-bounds.js';
import { BACKENDS } from './helpers/databases.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const nested = (depth: number, leaf = '1') => '{"a":'.repeat(depth) + leaf + '}'.repeat(depth);
const nestedArrays = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('nesting depth, read without parsing', () => {
  test('counts objects and arrays, not brackets inside strings or escaped quotes', () => {
    expect(nestsDeeperThan(nested(3), 3)).toBe(false);
    expect(nestsDeeperThan(nested(4), 3)).toBe(true);
    expect(nestsDeeperThan(nestedArrays(4), 3)).toBe(true);
    expect(nestsDeeperThan('[{"k":[1]}]', 3)).toBe(false);
    expect(nestsDeeperThan(`{"s":"${'['.repeat(100)}"}`, 1)).toBe(false);
    expect(nestsDeeperThan(`{"s":"\\"${'{'.repeat(10)}\\\\"}`, 1)).toBe(false);
    expect(nestsDeeperThan(`{"s":"\\\\", "t":[[1]]}`, 2)).toBe(true);
    expect(nestsDeeperThan('[1, 2, 3] ] ] [[[', 3)).toBe(false);
  });
});

describe.each(BACKENDS)('JSON bounds at the edge on %s', (backend) => {
  let server: TestServer;
  let connectionId: string;
  beforeAll(async () => {
    server = await startTestServer(backend, { GRANTKEEPER_JSON_MAX_DEPTH: '32' }, { logName: 'json-bounds' });
    await server.api('POST', '/v1/integrations', { key: 'sf', provider: 'salesforce', client_id: 'c', client_secret: 's' });
    const created = await server.api('POST', '/v1/connections', { integration: 'sf', end_user: { id: 'u' }, credentials: { refresh_token: 'rt-json-bounds-1' } });
    expect(created.status).toBe(201);
    connectionId = created.body.id;
  });
  afterAll(async () => {
    await server?.stop();
  });

  const digest = async () => {
    const rows = await sql<{ t: string; n: number }>`
      SELECT 'connections' AS t, count(*)::int AS n FROM connections UNION ALL
      SELECT 'integrations', count(*)::int FROM integrations UNION ALL
      SELECT 'webhook_endpoints', count(*)::int FROM webhook_endpoints UNION ALL
      SELECT 'connect_sessions', count(*)::int FROM connect_sessions UNION ALL
      SELECT 'metadata', count(*)::int FROM connections WHERE metadata <> '{}'::jsonb`.execute(server.ctx.db.kysely);
    return JSON.stringify(rows.rows);
  };

  test.each([
    ['POST', '/v1/connections', (deep: string) => `{"integration":"sf","end_user":{"id":"deep"},"metadata":${deep},"credentials":{"refresh_token":"rt-deep"}}`],
    ['PATCH', '/v1/connections/{id}', (deep: string) => `{"metadata":${deep}}`],
    ['POST', '/v1/integrations', (deep: string) => `{"key":"deep","provider":"oauth2","client_id":"c","provider_config":${deep}}`],
    ['POST', '/v1/webhook-endpoints', (deep: string) => `{"url":"https://example.com/hook","events":${deep}}`],
    ['POST', '/v1/connect-sessions', (deep: string) => `{"integration":"sf","end_user":${deep}}`],
  ])('%s %s nested 4,500 deep is 400 json_too_deep and changes nothing', async (method, path, body) => {
    const before = await digest();
    const url = path.replace('{id}', connectionId);
    for (const deep of [nested(4_500), nestedArrays(4_500), nested(33)]) {
      const res = await server.api(method, url, body(deep));
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 400, code: 'json_too_deep' });
      expect(res.body.detail).toContain('GRANTKEEPER_JSON_MAX_DEPTH');
    }
    expect(await digest()).toBe(before);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  test('nesting up to the limit is accepted and stored', async () => {
    // metadata at 30 levels: the body nests 31 deep (the body object itself is one).
    const res = await server.api('PATCH', `/v1/connections/${connectionId}`, `{"metadata":${nested(30)}}`);
    expect(res.status).toBe(200);
    let level = res.body.metadata;
    for (let i = 0; i < 30; i++) level = level.a;
    expect(level).toBe(1);
  });

  test('a body over the size limit is a 413 problem; prototype poisoning is still refused', async () => {
    const big = await server.api('POST', '/v1/connections', JSON.stringify({ integration: 'sf', end_user: { id: 'x' }, metadata: { pad: 'x'.repeat(1_100_000) }, credentials: { refresh_token: 'rt-big' } }));
    expect(big.status).toBe(413);
    expect(big.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const poisoned = await server.api('PATCH', `/v1/connections/${connectionId}`, '{"metadata":{"__proto__":{"admin":true}}}');
    expect(poisoned.status).toBe(400);
    expect(poisoned.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });
});
