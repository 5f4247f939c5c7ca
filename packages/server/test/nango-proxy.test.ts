// Nango's proxy under `/nango` through the real `@nangohq/node` client (0.71.10), against a
// real Grantkeeper and the Salesforce emulator's REST API, on both backends: get/post/proxy
// with the connection named by Nango's headers, the provider's own answers unchanged, one
// refresh for concurrent callers after the provider ended the session, Nango-shaped errors
// for what Grantkeeper refuses, and no way to another host (hostile paths, base URL overrides).
import { Nango } from '@nangohq/node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { nangoProviderHeaders, singleHeader } from '../src/api/nango/proxy-headers.js';
import { providerRequestHeaders } from '../src/proxy/headers.js';
import { BACKENDS } from './helpers/databases.js';
import { rawRequest, startProviderApi, type ProviderApi } from './helpers/provider-api.js';
import { startSalesforceRig, type SalesforceRig } from './helpers/salesforce.js';
import { until } from './helpers/wait.js';

/** What axios (inside the SDK) threw: the HTTP status, headers and body. */
async function failure(promise: Promise<unknown>): Promise<{ status: number; headers: Record<string, unknown>; body: any }> {
  try {
    await promise;
  } catch (error) {
    const response = (error as { response?: { status: number; headers: Record<string, unknown>; data: unknown } }).response;
    if (response) return { status: response.status, headers: response.headers, body: response.data };
    throw error;
  }
  throw new Error('expected the call to fail');
}

describe.each(BACKENDS)('Nango proxy on %s', (backend) => {
  let rig: SalesforceRig;
  let api: ProviderApi;
  let proxyKey: string;
  let nango: Nango;
  const LIMITS = '/services/data/v62.0/limits';
  const MAX_BODY = 4096;

  beforeAll(async () => {
    rig = await startSalesforceRig(backend, { env: { GRANTKEEPER_AUDIT_FLUSH_MS: '50', GRANTKEEPER_PROXY_MAX_BODY_BYTES: String(MAX_BODY) }, logName: 'nango-proxy' });
    api = await startProviderApi();
    proxyKey = (await rig.server.api('POST', '/v1/api-keys', { name: 'nango-app', scopes: ['proxy'] })).body.secret;
    nango = new Nango({ secretKey: proxyKey, host: `${rig.server.url}/nango` });
  });
  afterAll(async () => {
    await api?.close();
    await rig?.stop();
  });

  /** A grant imported with a Nango connectionId as its external_id. */
  async function importWithExternalId(externalId: string): Promise<string> {
    const username = rig.user().username;
    const tokens = rig.emu.issueTokens({ clientId: rig.clientId, username });
    const res = await rig.server.api('POST', '/v1/connections', {
      integration: rig.integrationKey,
      external_id: externalId,
      end_user: { id: username },
      credentials: { refresh_token: String(tokens.refresh_token), id_url: String(tokens.id), instance_url: String(tokens.instance_url) },
    });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  test('get, post and proxy reach the provider with the connection named by Nango headers; its answers come back unchanged', async () => {
    await importWithExternalId('nango-conn-1');
    const named = { connectionId: 'nango-conn-1', providerConfigKey: rig.integrationKey };

    const limits = await nango.get({ ...named, endpoint: LIMITS });
    expect(limits.status).toBe(200);
    expect(limits.data.DailyApiRequests.Max).toBeGreaterThan(0);
    expect(limits.headers['sforce-limit-info']).toMatch(/^api-usage=/);
    expect(limits.headers['grantkeeper-proxy-error']).toBeUndefined();

    const query = await nango.get({ ...named, endpoint: '/services/data/v62.0/query', params: { q: 'SELECT Id, Name FROM Account LIMIT 2' } });
    expect(query.data).toMatchObject({ totalSize: 2, records: [{ Id: expect.stringMatching(/^001/) }, { Name: expect.any(String) }] });

    const posted = await nango.post({ ...named, endpoint: '/services/data/v62.0/query?q=SELECT+Id+FROM+Account', data: { any: 'body' } });
    expect(posted.status).toBe(200);
    expect(posted.data.totalSize).toBe(3);

    // proxy() with an endpoint without its leading slash, custom headers prefixed for the provider.
    const sobjects = await nango.proxy({ ...named, method: 'GET', endpoint: 'services/data/v62.0/sobjects', headers: { 'X-Trace': 'abc' } });
    expect(sobjects.data.sobjects.map((s: { name: string }) => s.name)).toContain('Account');

    // The provider's own refusal passes unchanged (status, body), not marked as Grantkeeper's.
    const missing = await failure(nango.get({ ...named, endpoint: '/services/data/v62.0/nothing-here' }));
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual([expect.objectContaining({ errorCode: 'NOT_FOUND' })]);
    expect(missing.headers['grantkeeper-proxy-error']).toBeUndefined();
    const malformed = await failure(nango.get({ ...named, endpoint: '/services/data/v62.0/query', params: { q: 'not soql' } }));
    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual([expect.objectContaining({ errorCode: 'MALFORMED_QUERY' })]);
  });

  test('put, patch and delete reach a provider API with the body, the Nango-Proxy- headers unprefixed and nothing of the SDK’s own', async () => {
    const echo = await rig.server.api('POST', '/v1/integrations', {
      key: 'echo',
      provider: 'oauth2',
      client_id: 'echo-client',
      client_secret: 'echo-client-secret',
      authorization_url: `${rig.emu.url}/services/oauth2/authorize`,
      token_url: `${rig.emu.url}/services/oauth2/token`,
      api_base_url: `${api.url}/api`,
    });
    expect(echo.status).toBe(201);
    const imported = await rig.server.api('POST', '/v1/connections', {
      integration: 'echo',
      external_id: 'echo-conn',
      end_user: { id: 'echo-user' },
      credentials: { refresh_token: 'echo-refresh-token-1', access_token: 'echo-access-token-1', issued_at: new Date().toISOString() },
    });
    expect(imported.status).toBe(201);
    const named = { connectionId: 'echo-conn', providerConfigKey: 'echo' };
    const headers = { 'X-Custom': 'kept', 'Content-Type': 'application/json', Authorization: 'Bearer not-this' };

    const put = await nango.put({ ...named, endpoint: '/things/1', data: { name: 'Acme' }, headers, retries: 3, decompress: true });
    expect(put.data).toMatchObject({ method: 'PUT', url: '/api/things/1', body: '{"name":"Acme"}' });
    expect(put.data.headers).toMatchObject({ authorization: 'Bearer echo-access-token-1', 'x-custom': 'kept', 'content-type': 'application/json', 'content-length': '15' });
    for (const name of ['connection-id', 'provider-config-key', 'base-url-override', 'nango-activity-log-id', 'retries', 'decompress', 'user-agent', 'accept-encoding', 'nango-proxy-x-custom']) {
      expect(put.data.headers[name], name).toBeUndefined();
    }
    expect(JSON.stringify(put.data.headers)).not.toContain(proxyKey);
    // Provider response headers pass, but no cookie is set on the caller through Grantkeeper.
    expect(put.headers['x-ratelimit-remaining']).toBe('41');
    expect(put.headers['set-cookie']).toBeUndefined();

    const patch = await nango.patch({ ...named, endpoint: 'things/1', params: { fields: 'a,b' }, data: { name: 'Acme 2' } });
    expect(patch.data).toMatchObject({ method: 'PATCH', url: '/api/things/1?fields=a%2Cb', body: '{"name":"Acme 2"}' });
    const del = await nango.delete({ ...named, endpoint: '/things/1' });
    expect(del.data).toMatchObject({ method: 'DELETE', url: '/api/things/1', body: '' });
    const missing = await failure(nango.get({ ...named, endpoint: '/missing' }));
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ method: 'GET', url: '/api/missing' });

    // A body over GRANTKEEPER_PROXY_MAX_BODY_BYTES is refused before anything is sent, in Nango's shape.
    const sent = api.received.length;
    const big = await failure(nango.post({ ...named, endpoint: '/things', data: { blob: 'x'.repeat(MAX_BODY) } }));
    expect(big.status).toBe(413);
    expect(big.body).toMatchObject({ error: { code: 'request_too_large', message: expect.any(String) } });
    expect(big.headers['grantkeeper-proxy-error']).toBe('true');
    expect(api.received.length).toBe(sent);
  });

  test('calls are audited as proxy.request for the key and counted in the proxy metrics', async () => {
    await importWithExternalId('nango-conn-audit');
    const id = (await rig.server.api('GET', '/v1/connections?external_id=nango-conn-audit')).body.data[0].id as string;
    for (let i = 0; i < 3; i++) expect((await nango.get({ connectionId: 'nango-conn-audit', providerConfigKey: rig.integrationKey, endpoint: LIMITS })).status).toBe(200);
    const rows = await until('the proxy.request audit rows', async () => {
      const data = (await rig.server.api('GET', `/v1/audit-events?action=proxy.request&connection=${id}`)).body.data as { count: number; actor: { name: string } }[];
      return data.reduce((sum, row) => sum + row.count, 0) === 3 ? data : null;
    });
    expect(rows.every((row) => row.actor.name === 'nango-app')).toBe(true);
    const metrics = await (await fetch(`${rig.server.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`grantkeeper_proxy_requests_total\\{integration="${rig.integrationKey}",status_class="2xx"\\} [1-9]`));
  });

  test('a connection without an external_id is named by its Grantkeeper id', async () => {
    const { id } = await rig.importGrant(rig.user().username);
    const res = await nango.get({ connectionId: id, providerConfigKey: rig.integrationKey, endpoint: LIMITS });
    expect(res.status).toBe(200);
  });

  // Both ways a session dies at Salesforce while Grantkeeper still holds its token: the session
  // timeout (2 h on the emulator's clock; Grantkeeper's clock does not move) and a revoked session.
  const endings = [
    ['the session timed out at the provider', 'timed-out', async () => void rig.emu.clock.advance(7_200_000 + 60_000)],
    ['the provider ended the session', 'ended', async (id: string) => expect(rig.emu.removeSessions({ userId: (await rig.connection(id)).provider_account.user_id })).toBeGreaterThan(0)],
  ] as const;
  test.each(endings)('after %s, ten concurrent SDK calls all succeed with exactly one refresh', async (_ending, slug, endSession) => {
    const externalId = `nango-conn-expiry-${slug}`;
    await importWithExternalId(externalId);
    const named = { connectionId: externalId, providerConfigKey: rig.integrationKey };
    expect((await nango.get({ ...named, endpoint: LIMITS })).status).toBe(200);
    const id = (await rig.server.api('GET', `/v1/connections?external_id=${externalId}`)).body.data[0].id as string;
    const before = rig.emu.stats();
    await endSession(id);
    const calls = await Promise.all(
      Array.from({ length: 10 }, (_, i) => {
        const endpoint = `/services/data/v62.0/query?q=${encodeURIComponent(`SELECT Id FROM Account LIMIT ${(i % 3) + 1}`)}`;
        return i % 2 === 0 ? nango.get({ ...named, endpoint }) : nango.post({ ...named, endpoint, data: { n: i } });
      }),
    );
    expect(calls.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(calls.map((r) => r.data.totalSize)).toEqual(Array.from({ length: 10 }, (_, i) => (i % 3) + 1));
    const after = rig.emu.stats();
    expect(after.refreshes - before.refreshes).toBe(1);
    expect(after.rest_unauthorized - before.rest_unauthorized).toBeGreaterThanOrEqual(1);
  });

  test('a missing Connection-Id or Provider-Config-Key, or an unknown connection, is a Nango-shaped error', async () => {
    const restBefore = rig.emu.stats().rest_requests;
    // The SDK checks only that connectionId is defined: an empty one is sent as an empty header.
    const empty = await failure(nango.get({ connectionId: '', providerConfigKey: rig.integrationKey, endpoint: LIMITS }));
    expect(empty).toMatchObject({ status: 400, body: { error: { code: 'missing_connection_id', message: expect.stringContaining('Connection-Id header is required') } } });
    expect(empty.headers['grantkeeper-proxy-error']).toBe('true');

    const auth = { authorization: `Bearer ${proxyKey}` };
    const noConnection = await rawRequest(rig.server.url, `/nango/proxy${LIMITS}`, { headers: { ...auth, 'provider-config-key': rig.integrationKey } });
    expect(noConnection.status).toBe(400);
    expect(JSON.parse(noConnection.body)).toEqual({ error: { code: 'missing_connection_id', message: expect.any(String) } });
    const noKey = await rawRequest(rig.server.url, `/nango/proxy${LIMITS}`, { headers: { ...auth, 'connection-id': 'nango-conn-1' } });
    expect(noKey.status).toBe(400);
    expect(JSON.parse(noKey.body)).toMatchObject({ error: { code: 'missing_provider_config_key' } });

    const tooLong = await failure(nango.get({ connectionId: 'c'.repeat(256), providerConfigKey: rig.integrationKey, endpoint: LIMITS }));
    expect(tooLong).toMatchObject({ status: 400, body: { error: { code: 'missing_connection_id', message: expect.stringContaining('longer than 255') } } });

    const unknown = await failure(nango.get({ connectionId: 'no-such-connection', providerConfigKey: rig.integrationKey, endpoint: LIMITS }));
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    const unknownKey = await failure(nango.get({ connectionId: 'nango-conn-1', providerConfigKey: 'no-such-integration', endpoint: LIMITS }));
    expect(unknownKey).toMatchObject({ status: 404, body: { error: { code: 'unknown_provider_config' } } });
    expect(rig.emu.stats().rest_requests).toBe(restBefore);
  });

  test('hostile paths and base URL overrides to another host are 400 and never reach a provider', async () => {
    await importWithExternalId('nango-conn-hostile');
    const named = { connectionId: 'nango-conn-hostile', providerConfigKey: rig.integrationKey };
    const restBefore = rig.emu.stats().rest_requests;
    // (Dot segments the client's URL parser resolves itself, before sending: see the raw requests.)
    for (const endpoint of ['//evil.example/services/data', 'https://evil.example/x', '/services/data%2f..%2fx', '/services/%252e%252e/x']) {
      const refused = await failure(nango.get({ ...named, endpoint }));
      expect(refused, endpoint).toMatchObject({ status: 400, body: { error: { code: 'proxy_path_refused' } } });
    }
    // Raw, without a client normalising the dot segments away.
    for (const path of ['/nango/proxy/services/../../admin', '/nango/proxy/services/%2e%2e/%2E%2E/admin', '/nango/proxy/..']) {
      const raw = await rawRequest(rig.server.url, path, {
        headers: { authorization: `Bearer ${proxyKey}`, 'connection-id': named.connectionId, 'provider-config-key': named.providerConfigKey },
      });
      expect(raw.status, path).toBe(400);
      expect(JSON.parse(raw.body), path).toMatchObject({ error: { code: 'proxy_path_refused' } });
    }
    // Refused before the route: a malformed URL, a method the proxy does not take — Nango-shaped, marked as ours.
    for (const [method, path, status, code] of [['GET', '/nango/proxy/a%zz', 400, 'invalid_uri_params'], ['PROPFIND', '/nango/proxy/services/data', 404, 'not_found']] as const) {
      const res = await rawRequest(rig.server.url, path, { method, headers: { authorization: `Bearer ${proxyKey}`, 'connection-id': named.connectionId, 'provider-config-key': named.providerConfigKey } });
      expect(res.status, path).toBe(status);
      expect(JSON.parse(res.body), path).toMatchObject({ error: { code } });
      expect(res.headers['grantkeeper-proxy-error'], path).toBe('true');
    }
    for (const baseUrlOverride of ['https://evil.example', 'http://127.0.0.1:1', 'not a url']) {
      const refused = await failure(nango.get({ ...named, endpoint: LIMITS, baseUrlOverride }));
      expect(refused, baseUrlOverride).toMatchObject({ status: 400, body: { error: { code: 'base_url_override_refused' } } });
    }
    expect(rig.emu.stats().rest_requests).toBe(restBefore);

    // An override on the connection's own API host only picks a path there.
    const id = (await rig.server.api('GET', '/v1/connections?external_id=nango-conn-hostile')).body.data[0].id as string;
    const instanceUrl = (await rig.server.api('GET', `/v1/connections/${id}/token`)).body.instance_url as string;
    const same = await nango.get({ ...named, endpoint: '/limits', baseUrlOverride: `${instanceUrl}/services/data/v62.0` });
    expect(same.status).toBe(200);
    expect(same.data.DailyApiRequests.Max).toBeGreaterThan(0);
  });

  test('scopes and integration limits apply as on /v1', async () => {
    await importWithExternalId('nango-conn-scopes');
    const named = { connectionId: 'nango-conn-scopes', providerConfigKey: rig.integrationKey, endpoint: LIMITS };
    const reader = (await rig.server.api('POST', '/v1/api-keys', { name: 'reader', scopes: ['connections:read'] })).body.secret;
    const refused = await failure(new Nango({ secretKey: reader, host: `${rig.server.url}/nango` }).get(named));
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'forbidden', payload: { required_scope: 'proxy' } } } });
    const tokens = (await rig.server.api('POST', '/v1/api-keys', { name: 'tokens', scopes: ['tokens:read'] })).body.secret;
    const other = await rig.server.api('POST', '/v1/integrations', { key: 'other-sf', provider: 'salesforce', client_id: 'x', client_secret: 'y', auth_base_url: rig.emu.url });
    expect(other.status).toBe(201);
    const limited = (await rig.server.api('POST', '/v1/api-keys', { name: 'limited', scopes: ['proxy'], integrations: ['other-sf'] })).body.secret;

    expect((await new Nango({ secretKey: tokens, host: `${rig.server.url}/nango` }).get(named)).status).toBe(200);
    // Right after another key resolved the same name: a remembered name is no permission.
    const hidden = await failure(new Nango({ secretKey: limited, host: `${rig.server.url}/nango` }).get(named));
    expect(hidden).toMatchObject({ status: 404, body: { error: { code: 'unknown_provider_config' } } });

    // A dashboard session never uses the proxy, not even one signed in with the admin key.
    const login = await fetch(`${rig.server.url}/ui/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: rig.server.key }) });
    expect(login.status).toBe(204);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const restBefore = rig.emu.stats().rest_requests;
    const session = await rawRequest(rig.server.url, `/nango/proxy${LIMITS}`, { headers: { cookie, 'connection-id': named.connectionId, 'provider-config-key': named.providerConfigKey } });
    expect(session.status).toBe(403);
    expect(JSON.parse(session.body)).toMatchObject({ error: { code: 'forbidden', payload: { required_scope: 'proxy' } } });
    expect(rig.emu.stats().rest_requests).toBe(restBefore);
  });
});

describe("which of a Nango proxy call's headers reach the provider", () => {
  test('only Nango-Proxy- headers (prefix removed) and the Content-Type; never the SDK’s own instructions', () => {
    const sent = nangoProviderHeaders({
      'connection-id': 'c1',
      'provider-config-key': 'sf',
      'base-url-override': '',
      'nango-activity-log-id': '',
      retries: '3',
      decompress: 'true',
      'user-agent': 'nango-node-client/0.71.10',
      authorization: 'Bearer gk_sk_secret',
      'content-type': 'application/json',
      'nango-proxy-x-trace': 'abc',
      'nango-proxy-': 'nameless',
    });
    expect(sent).toEqual({ 'content-type': 'application/json', 'x-trace': 'abc' });
  });

  test('a prefixed Authorization still never reaches the provider: the proxy puts the token there', () => {
    const out = providerRequestHeaders(nangoProviderHeaders({ 'nango-proxy-authorization': 'Bearer stolen', 'nango-proxy-host': 'evil.example' }), 'the-token', null);
    expect(out).toEqual({ authorization: 'Bearer the-token' });
  });

  test('an empty or blank header is absent', () => {
    expect(singleHeader({ 'connection-id': '  ' }, 'connection-id')).toBeNull();
    expect(singleHeader({}, 'connection-id')).toBeNull();
    expect(singleHeader({ 'connection-id': ' c1 ' }, 'connection-id')).toBe('c1');
  });
});
