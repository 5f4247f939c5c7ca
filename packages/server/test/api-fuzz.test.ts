// Property-based test over every API route: generated requests (valid, mutated and
// hostile) never get a 5xx (other than the contract's provider_unavailable /
// refresh_in_progress), never crash the process, and a rejected request changes nothing.
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BACKENDS } from './helpers/databases.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const RUNS: Record<string, number> = { pglite: Number(process.env.FUZZ_RUNS ?? 10_000), postgres: Number(process.env.FUZZ_RUNS_PG ?? 2_500) };

const ROUTES: { method: string; path: string; body?: boolean }[] = [
  { method: 'GET', path: '/v1/integrations' },
  { method: 'POST', path: '/v1/integrations', body: true },
  { method: 'GET', path: '/v1/integrations/{key}' },
  { method: 'PATCH', path: '/v1/integrations/{key}', body: true },
  { method: 'DELETE', path: '/v1/integrations/{key}' },
  { method: 'GET', path: '/v1/connections' },
  { method: 'POST', path: '/v1/connections', body: true },
  { method: 'GET', path: '/v1/connections/{id}' },
  { method: 'PATCH', path: '/v1/connections/{id}', body: true },
  { method: 'DELETE', path: '/v1/connections/{id}' },
  { method: 'GET', path: '/v1/connections/{id}/token' },
  { method: 'POST', path: '/v1/connections/{id}/refresh', body: true },
  { method: 'GET', path: '/v1/connections/{id}/events' },
  { method: 'POST', path: '/v1/connect-sessions', body: true },
  { method: 'GET', path: '/v1/webhook-endpoints' },
  { method: 'POST', path: '/v1/webhook-endpoints', body: true },
  { method: 'PATCH', path: '/v1/webhook-endpoints/{id}', body: true },
  { method: 'DELETE', path: '/v1/webhook-endpoints/{id}' },
  { method: 'POST', path: '/v1/webhook-endpoints/{id}/rotate-secret', body: true },
  { method: 'GET', path: '/v1/webhook-deliveries' },
  { method: 'POST', path: '/v1/webhook-deliveries/{id}/retry', body: true },
  { method: 'GET', path: '/v1/providers' },
  { method: 'GET', path: '/v1/providers/{key}' },
  { method: 'GET', path: '/v1/stats/refreshes' },
  { method: 'GET', path: '/v1/spikes' },
  { method: 'GET', path: '/v1/api-keys' },
  { method: 'POST', path: '/v1/api-keys', body: true },
  { method: 'GET', path: '/v1/api-keys/{id}' },
  { method: 'DELETE', path: '/v1/api-keys/{id}' },
  { method: 'GET', path: '/v1/audit-events' },
  { method: 'GET', path: '/v1/audit-events/export' },
  { method: 'GET', path: '/connect/{token}' },
  { method: 'POST', path: '/connect/{token}', body: true },
  { method: 'GET', path: '/oauth/callback' },
  { method: 'GET', path: '/reconnect/{id}' },
  { method: 'POST', path: '/ui/session', body: true },
  { method: 'GET', path: '/ui' },
  { method: 'GET', path: '/healthz' },
  { method: 'GET', path: '/readyz' },
  { method: 'GET', path: '/metrics' },
  { method: 'PUT', path: '/v1/integrations' },
];

const hostileString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.constantFrom('', ' ', '%00', '../../etc/passwd', '<script>alert(1)</script>', "' OR 1=1 --", '${jndi:ldap://x}', 'a'.repeat(5000), '\u0000', '\ud800', 'conn_', 'conn_' + '0'.repeat(32), '💥', 'null', '[]', '{}'),
);

const validIntegration = fc.record({
  key: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
  provider: fc.constantFrom('salesforce', 'salesforce-sandbox', 'oauth2', 'google', 'hubspot', 'nope'),
  client_id: fc.string({ minLength: 1, maxLength: 20 }),
  client_secret: fc.string({ minLength: 1, maxLength: 20 }),
});

function bodyFor(ids: { connection: string; integration: string }) {
  return fc.oneof(
    fc.jsonValue(),
    validIntegration,
    fc.record({ integration: fc.constantFrom(ids.integration, 'nope'), end_user: fc.record({ id: hostileString }), credentials: fc.record({ refresh_token: hostileString }, { requiredKeys: [] }) }, { requiredKeys: [] }),
    fc.record({ metadata: fc.jsonValue() }),
    fc.record({ url: hostileString, events: fc.array(hostileString, { maxLength: 3 }) }, { requiredKeys: [] }),
    fc.record({ refresh: fc.dictionary(fc.constantFrom('margin_s', 'keepalive_s', 'access_token_ttl_s', 'max_per_s', 'keep_warm', 'x'), fc.jsonValue()) }),
    fc.record({ secret_key: hostileString }),
    fc.record({ name: hostileString, scopes: fc.array(fc.constantFrom('admin', 'proxy', 'tokens:read', 'nope'), { maxLength: 3 }), integrations: fc.option(fc.array(hostileString, { maxLength: 2 })), expires_at: fc.option(hostileString) }, { requiredKeys: [] }),
    fc.record({ integration: fc.constantFrom(ids.integration), end_user: fc.record({ id: fc.string({ minLength: 1 }) }), return_url: hostileString }, { requiredKeys: [] }),
  );
}

async function stateDigest(server: TestServer): Promise<string> {
  const row = await sql<Record<string, unknown>>`
    SELECT
      (SELECT count(*) FROM integrations) AS integrations,
      (SELECT coalesce(sum(generation), 0) FROM integrations) AS integration_generations,
      (SELECT max(updated_at) FROM integrations) AS integrations_updated,
      (SELECT count(*) FROM connections) AS connections,
      (SELECT coalesce(sum(generation), 0) FROM connections) AS connection_generations,
      (SELECT max(updated_at) FROM connections) AS connections_updated,
      (SELECT count(*) FROM events) AS events,
      (SELECT count(*) FROM outbox) AS outbox,
      (SELECT count(*) FROM webhook_endpoints) AS endpoints,
      (SELECT max(updated_at) FROM webhook_endpoints) AS endpoints_updated,
      (SELECT count(*) FROM connect_sessions) AS sessions,
      (SELECT count(*) FROM connect_sessions WHERE used_at IS NOT NULL) AS sessions_used,
      (SELECT count(*) FROM idempotency_keys) AS idempotency,
      (SELECT count(*) FROM revocations) AS revocations,
      (SELECT count(*) FROM api_keys WHERE revoked_at IS NULL) AS api_keys`.execute(server.ctx.db.kysely);
  return JSON.stringify(row.rows[0]);
}

describe.each(BACKENDS)('API fuzz on %s', (backend) => {
  let server: TestServer;
  const ids = { connection: '', integration: 'fuzz-sf', endpoint: 'we_00000000000000000000000000000000' };

  beforeAll(async () => {
    // Wrong keys are among the generated requests: the wrong-key limit would soon refuse every
    // request with 429 and leave nothing to test (test/api-keys.test.ts covers the limit).
    server = await startTestServer(backend, { GRANTKEEPER_ALLOW_PRIVATE_NETWORK: 'false', GRANTKEEPER_LOGIN_MAX_FAILURES: '1000000' }, { logName: 'api-fuzz' });
    await server.api('POST', '/v1/integrations', { key: ids.integration, provider: 'salesforce', client_id: 'fuzz', client_secret: 'fuzz' });
    const c = await server.api('POST', '/v1/connections', {
      integration: ids.integration,
      end_user: { id: 'fuzz-user' },
      credentials: { refresh_token: 'fuzz-rt', access_token: '00D000000000001!fuzz', issued_at: String(Date.now()) },
    });
    ids.connection = c.body.id;
  });
  afterAll(async () => {
    await server?.stop();
  });

  test(`${RUNS[backend]} generated requests: no 5xx, no crash, rejected requests change nothing`, async () => {
    const request = fc.record({
      route: fc.constantFrom(...ROUTES),
      pathValue: fc.oneof(fc.constant('__valid__'), hostileString),
      query: fc.dictionary(fc.constantFrom('limit', 'cursor', 'force', 'min_valid_s', 'wait_ms', 'status', 'integration', 'state', 'code', 'sig', 'error', 'active', 'from', 'to', 'bucket', 'actor', 'action', 'connection', 'x'), hostileString, { maxKeys: 3 }),
      body: bodyFor(ids),
      contentType: fc.constantFrom('application/json', 'application/json', 'application/x-www-form-urlencoded', 'text/plain', 'application/xml', undefined),
      auth: fc.constantFrom('good', 'good', 'good', 'none', 'wrong'),
      idempotencyKey: fc.option(fc.string({ maxLength: 300 }), { nil: undefined }),
      rawBody: fc.option(hostileString, { freq: 4, nil: undefined }),
    });
    let checked = 0;
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const valid = r.route.path.includes('{key}') ? ids.integration : r.route.path.includes('{id}') ? (r.route.path.includes('webhook') ? ids.endpoint : ids.connection) : 'x';
        const value = r.pathValue === '__valid__' ? valid : r.pathValue;
        const path = r.route.path.replace(/\{[a-z]+\}/, encodeURIComponent((value as string & { toWellFormed(): string }).toWellFormed()));
        const qs = new URLSearchParams(r.query).toString();
        const headers: Record<string, string> = {};
        if (r.auth === 'good') headers.authorization = `Bearer ${server.key}`;
        if (r.auth === 'wrong') headers.authorization = 'Bearer gk_sk_wrong_key_for_fuzzing';
        if (r.idempotencyKey !== undefined) headers['idempotency-key'] = r.idempotencyKey.replace(/[^\x20-\x7e]/g, '');
        let payload: string | undefined;
        if (r.route.body || r.rawBody !== undefined) {
          payload = r.rawBody ?? JSON.stringify(r.body);
          if (r.contentType) headers['content-type'] = r.contentType;
        }
        const before = await stateDigest(server);
        const res = await server.app.inject({ method: r.route.method as 'GET', url: qs ? `${path}?${qs}` : path, headers, payload });
        const contractual503 = res.statusCode === 503 && /"code":"(provider_unavailable|refresh_in_progress|database_unavailable)"/.test(res.body);
        if (res.statusCode >= 500 && !contractual503) throw new Error(`${r.route.method} ${path}?${qs} → ${res.statusCode} ${res.body.slice(0, 300)}`);
        if (res.statusCode >= 400 && res.statusCode !== 503) {
          const after = await stateDigest(server);
          if (after !== before) throw new Error(`rejected ${r.route.method} ${path} (${res.statusCode}) changed state:\n${before}\n${after}`);
          if (!res.headers['content-type']?.toString().match(/problem\+json|text\/html/)) throw new Error(`${res.statusCode} without a problem body: ${res.headers['content-type']}`);
        }
        checked++;
      }),
      { numRuns: RUNS[backend], seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31) },
    );
    expect(checked).toBe(RUNS[backend]);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  }, 900_000);
});
