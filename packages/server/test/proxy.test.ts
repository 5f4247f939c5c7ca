// The API proxy end to end: the Salesforce emulator's REST API over real HTTP (and a small
// provider API that shows what arrived), on both backends. jsforce and the refresh-on-401
// path are in proxy-clients.test.ts.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BACKENDS } from './helpers/databases.js';
import { rawRequest, startProviderApi, type ProviderApi } from './helpers/provider-api.js';
import { startSalesforceRig, type SalesforceRig } from './helpers/salesforce.js';

const MAX_BODY = 4096;

describe.each(BACKENDS)('API proxy on %s', (backend) => {
  let rig: SalesforceRig;
  let api: ProviderApi;
  let sfId: string;
  let echoId: string;
  const proxyPath = (id: string, tail: string) => `/v1/connections/${id}/proxy${tail}`;
  const auth = () => ({ authorization: `Bearer ${rig.server.key}` });

  beforeAll(async () => {
    rig = await startSalesforceRig(backend, { env: { GRANTKEEPER_PROXY_MAX_BODY_BYTES: String(MAX_BODY), GRANTKEEPER_PROXY_TIMEOUT_MS: '2000' }, logName: 'proxy' });
    api = await startProviderApi();
    sfId = (await rig.importGrant(rig.user().username)).id;
    const echo = await rig.server.api('POST', '/v1/integrations', {
      key: 'echo',
      provider: 'oauth2',
      client_id: 'echo-client',
      client_secret: 'echo-client-secret',
      authorization_url: `${rig.emu.url}/services/oauth2/authorize`,
      token_url: `${rig.emu.url}/services/oauth2/token`,
      api_base_url: `${api.url}/api/`,
    });
    expect(echo.status).toBe(201);
    expect(echo.body.api_base_url).toBe(`${api.url}/api`);
    const imported = await rig.server.api('POST', '/v1/connections', {
      integration: 'echo',
      end_user: { id: 'echo-user' },
      credentials: { refresh_token: 'echo-refresh-token-1', access_token: 'echo-access-token-1', issued_at: new Date().toISOString() },
    });
    expect(imported.status).toBe(201);
    echoId = imported.body.id;
  });
  afterAll(async () => {
    await api?.close();
    await rig?.stop();
  });

  test("forwards to the connection's instance URL with its token: the provider's status, headers and body come back", async () => {
    const res = await rawRequest(rig.server.url, proxyPath(sfId, '/services/data/v62.0/query?q=SELECT%20Id,%20Name%20FROM%20Account'), { headers: auth() });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ totalSize: 3, done: true });
    expect(res.headers['sforce-limit-info']).toMatch(/^api-usage=\d+\/\d+$/);
    expect(res.headers['grantkeeper-proxy-error']).toBeUndefined();
    // A provider error is the provider's, unchanged (not a Grantkeeper problem).
    const missing = await rawRequest(rig.server.url, proxyPath(sfId, '/services/data/v62.0/nothing-here'), { headers: auth() });
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)[0].errorCode).toBe('NOT_FOUND');
    expect(missing.headers['grantkeeper-proxy-error']).toBeUndefined();
  });

  test('forwards method, path, query, body and headers, minus credentials, hop-by-hop and grantkeeper-*; drops set-cookie on the way back', async () => {
    const body = JSON.stringify({ name: 'Acme' });
    const res = await rawRequest(rig.server.url, proxyPath(echoId, '/v2/things/a%20b?x=1&y=%2F'), {
      method: 'PATCH',
      body,
      headers: {
        ...auth(),
        'content-type': 'application/json',
        cookie: 'grantkeeper_session=secret-cookie',
        'grantkeeper-trace': 'mine',
        'x-custom': 'kept',
        'idempotency-key': 'provider-idem-1',
        connection: 'keep-alive, x-drop-me',
        'x-drop-me': 'hop',
      },
    });
    expect(res.status).toBe(200);
    const seen = JSON.parse(res.body);
    expect(seen).toMatchObject({ method: 'PATCH', url: '/api/v2/things/a%20b?x=1&y=%2F', body });
    expect(seen.headers).toMatchObject({ authorization: 'Bearer echo-access-token-1', 'content-type': 'application/json', 'x-custom': 'kept', 'idempotency-key': 'provider-idem-1', 'content-length': String(body.length) });
    for (const dropped of ['cookie', 'grantkeeper-trace', 'x-drop-me']) expect(seen.headers[dropped], dropped).toBeUndefined();
    expect(seen.headers.host).toBe(new URL(api.url).host);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.headers['x-hop-private']).toBeUndefined();
    expect(res.headers['grantkeeper-proxy-error']).toBeUndefined(); // the provider's own attempt is dropped
    expect(res.headers['x-ratelimit-remaining']).toBe('41');
    expect(res.headers['retry-after']).toBe('7');
    // The API key never reaches the provider.
    expect(JSON.stringify(api.received)).not.toContain(rig.server.key);
  });

  test.each([
    ['//evil.example/steal', 'names a host'],
    ['/http://evil.example/x', 'absolute URL'],
    ['/https:%2F%2Fevil.example', 'encoded slash'],
    ['/services/../../x', 'dot segments'],
    ['/services/%2e%2e/%2E%2E/x', 'dot segments'],
    ['/..', 'dot segments'],
    ['/services%2Fdata', 'encoded slash'],
    ['/a%5c..%5cb', 'encoded slash'],
    ['/a%252f..', 'double-encoded'],
    ['/a\\b', 'percent-encoded'],
  ])('refuses the hostile path %s with a 400 marked as Grantkeeper\'s', async (tail, reason) => {
    const before = api.received.length;
    const restBefore = rig.emu.stats().rest_requests;
    for (const id of [echoId, sfId]) {
      const res = await rawRequest(rig.server.url, proxyPath(id, tail), { headers: auth() });
      expect(res.status, tail).toBe(400);
      expect(res.headers['grantkeeper-proxy-error']).toBe('true');
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      const problem = JSON.parse(res.body);
      expect(problem).toMatchObject({ code: 'proxy_path_refused', status: 400 });
      expect(problem.detail).toContain(reason);
    }
    expect(api.received.length).toBe(before);
    expect(rig.emu.stats().rest_requests).toBe(restBefore);
  });

  test('a body over GRANTKEEPER_PROXY_MAX_BODY_BYTES is 413, never forwarded; one at the limit passes', async () => {
    const before = api.received.length;
    const big = await rawRequest(rig.server.url, proxyPath(echoId, '/upload'), { method: 'POST', body: Buffer.alloc(MAX_BODY + 1, 'a'), headers: { ...auth(), 'content-type': 'application/octet-stream' } });
    expect(big.status).toBe(413);
    expect(big.headers['grantkeeper-proxy-error']).toBe('true');
    expect(big.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(api.received.length).toBe(before);
    const fits = await rawRequest(rig.server.url, proxyPath(echoId, '/upload'), { method: 'POST', body: Buffer.alloc(MAX_BODY, 'a'), headers: { ...auth(), 'content-type': 'application/octet-stream' } });
    expect(fits.status).toBe(200);
    expect(JSON.parse(fits.body).body).toHaveLength(MAX_BODY);
  });

  test('streams the response: the first chunk arrives while the provider still holds the rest', async () => {
    const response = await fetch(`${rig.server.url}${proxyPath(echoId, '/stream')}`, { headers: auth() });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('first chunk\n');
    api.releaseStream();
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += new TextDecoder().decode(chunk.value);
    expect(rest).toBe('last chunk\n');
  });

  test('a caller that goes away mid-body ends the provider response too (no socket held until the timeout)', async () => {
    const abort = new AbortController();
    const response = await fetch(`${rig.server.url}${proxyPath(echoId, '/hold')}`, { headers: auth(), signal: abort.signal });
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('first chunk\n');
    abort.abort();
    expect(await api.holdClosed).toBe(false);
  });

  test("Grantkeeper's own refusals are problem+json marked grantkeeper-proxy-error: scope, integration limits, unknown ids, bad keys", async () => {
    const key = async (body: Record<string, unknown>) => (await rig.server.api('POST', '/v1/api-keys', body)).body.secret as string;
    const readOnly = await key({ name: 'read-only', scopes: ['connections:read'] });
    const proxyOnly = await key({ name: 'proxy-only', scopes: ['proxy'] });
    const limited = await key({ name: 'limited', scopes: ['proxy'], integrations: ['echo'] });
    const call = (secret: string, id: string) => rawRequest(rig.server.url, proxyPath(id, '/services/data/v62.0/limits'), { headers: { authorization: `Bearer ${secret}` } });

    const forbidden = await call(readOnly, sfId);
    expect(forbidden.status).toBe(403);
    expect(JSON.parse(forbidden.body)).toMatchObject({ code: 'insufficient_scope', required_scope: 'proxy' });
    expect((await call(proxyOnly, sfId)).status).toBe(200);
    const hidden = await call(limited, sfId);
    const unknown = await call(limited, 'conn_00000000000000000000000000000000');
    expect(hidden.status).toBe(404);
    expect(JSON.parse(hidden.body).code).toBe(JSON.parse(unknown.body).code);
    expect((await call(limited, echoId)).status).toBe(200);
    const wrongKey = await call('gk_sk_not_a_key_at_all_000000', sfId);
    expect(wrongKey.status).toBe(401);
    // Refused before any route: a malformed URL, an over-long id, a method the proxy does not take.
    const malformed = await rawRequest(rig.server.url, proxyPath(sfId, '/%zz'), { headers: auth() });
    expect(malformed.status).toBe(400);
    const longId = await rawRequest(rig.server.url, proxyPath('x'.repeat(300), '/a'), { headers: auth() });
    expect(longId.status).toBe(414);
    const trace = await rawRequest(rig.server.url, proxyPath(sfId, '/a'), { method: 'TRACE', headers: auth() });
    expect(trace.status).toBeGreaterThanOrEqual(400);
    expect(trace.status).toBeLessThan(500);
    for (const res of [forbidden, hidden, unknown, wrongKey, malformed, longId, trace]) {
      expect(res.headers['grantkeeper-proxy-error']).toBe('true');
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });

  test('a provider that cannot be reached is a 502 problem marked as ours', async () => {
    const down = await rig.server.api('POST', '/v1/integrations', {
      key: 'down',
      provider: 'oauth2',
      client_id: 'down-client',
      authorization_url: `${rig.emu.url}/services/oauth2/authorize`,
      token_url: `${rig.emu.url}/services/oauth2/token`,
      api_base_url: 'http://127.0.0.1:9/api', // the discard port: nothing listens
    });
    expect(down.status).toBe(201);
    const imported = await rig.server.api('POST', '/v1/connections', {
      integration: 'down',
      end_user: { id: 'down-user' },
      credentials: { refresh_token: 'down-refresh-token-1', access_token: 'down-access-token-1', issued_at: new Date().toISOString() },
    });
    const res = await rawRequest(rig.server.url, proxyPath(imported.body.id, '/anything'), { headers: auth() });
    expect(res.status).toBe(502);
    expect(res.headers['grantkeeper-proxy-error']).toBe('true');
    expect(JSON.parse(res.body).code).toBe('provider_unreachable');
    expect(res.body).not.toContain('down-access-token-1');
  });

  test('a provider that does not answer within GRANTKEEPER_PROXY_TIMEOUT_MS is a 504 problem marked as ours', async () => {
    const res = await rawRequest(rig.server.url, proxyPath(echoId, '/silent'), { headers: auth() });
    expect(res.status).toBe(504);
    expect(res.headers['grantkeeper-proxy-error']).toBe('true');
    expect(JSON.parse(res.body).code).toBe('provider_timeout');
  });

  test('api_base_url takes only a plain http(s) base, on a custom or a catalog integration', async () => {
    const bad = await rig.server.api('PATCH', '/v1/integrations/echo', { api_base_url: 'ftp://example.com/x?y=1' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ field: 'api_base_url', message: expect.stringContaining('http(s)') }]);
    const badCatalog = await rig.server.api('PATCH', `/v1/integrations/${rig.integrationKey}`, { api_base_url: 'https://user:pw@example.com' });
    expect(badCatalog.status).toBe(400);
    expect(badCatalog.body.errors).toEqual([{ field: 'api_base_url', message: expect.stringContaining('http(s)') }]);
    // A catalog integration may override its provider's base (here Salesforce's instance URL).
    const catalog = await rig.server.api('PATCH', `/v1/integrations/${rig.integrationKey}`, { api_base_url: 'https://example.com/' });
    expect(catalog.status, JSON.stringify(catalog.body)).toBe(200);
    expect(catalog.body.api_base_url).toBe('https://example.com');
    const cleared = await rig.server.api('PATCH', `/v1/integrations/${rig.integrationKey}`, { api_base_url: null });
    expect(cleared.body.api_base_url).toBeNull();
  });
});
