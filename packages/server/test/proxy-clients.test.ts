// The API proxy under real clients and a real expiry, on both backends: jsforce 3.10.14,
// unmodified, pointed at the proxy with an API key as its access token; a session the
// provider ended while Grantkeeper still holds the token (one forced refresh for ten
// concurrent callers, counted at the emulator); a dead grant; the audit log and metrics.
import { Connection } from 'jsforce';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BACKENDS } from './helpers/databases.js';
import { rawRequest } from './helpers/provider-api.js';
import { startSalesforceRig, type SalesforceRig } from './helpers/salesforce.js';
import { until } from './helpers/wait.js';

describe.each(BACKENDS)('API proxy with real clients on %s', (backend) => {
  let rig: SalesforceRig;
  let proxyKey: string;
  const proxyBase = (id: string) => `${rig.server.url}/v1/connections/${id}/proxy`;
  /** The emulator's session timeout (2 h) passes: every access token dies at Salesforce, none at Grantkeeper. */
  const sessionsTimeOut = () => rig.emu.clock.advance(7_200_000 + 60_000);

  beforeAll(async () => {
    rig = await startSalesforceRig(backend, { env: { GRANTKEEPER_AUDIT_FLUSH_MS: '50' }, logName: 'proxy-clients' });
    const key = await rig.server.api('POST', '/v1/api-keys', { name: 'agent', scopes: ['proxy'] });
    proxyKey = key.body.secret;
  });
  afterAll(async () => {
    await rig?.stop();
  });

  test('jsforce, unmodified, queries through the proxy with an API key as its token — across an access-token expiry', async () => {
    const { id } = await rig.importGrant(rig.user().username);
    const conn = new Connection({ instanceUrl: proxyBase(id), accessToken: proxyKey, version: '62.0' });
    const accounts = await conn.query<{ Id: string; Name: string }>('SELECT Id, Name FROM Account');
    expect(accounts.totalSize).toBe(3);
    expect(accounts.records[0]!.Id).toMatch(/^001/);
    const limits = await conn.limits();
    expect(limits.DailyApiRequests.Max).toBeGreaterThan(0);
    const tokenBefore = (await rig.server.api('GET', `/v1/connections/${id}/token`)).body;

    const refreshesBefore = rig.emu.stats().refreshes;
    sessionsTimeOut();
    // jsforce never sees the 401: the proxy refreshed and replayed.
    const again = await conn.query<{ Id: string }>('SELECT Id FROM Account LIMIT 2');
    expect(again.totalSize).toBe(2);
    expect(rig.emu.stats().refreshes).toBe(refreshesBefore + 1);
    const tokenAfter = (await rig.server.api('GET', `/v1/connections/${id}/token`)).body;
    expect(tokenAfter.generation).toBeGreaterThan(tokenBefore.generation);
    expect(tokenAfter.access_token).not.toBe(tokenBefore.access_token);
    // jsforce still holds only the API key; no token ever reached it.
    expect(conn.accessToken).toBe(proxyKey);
  });

  test('ten concurrent calls after the provider ended the session all succeed, with one refresh', async () => {
    const { id } = await rig.importGrant(rig.user().username);
    const warm = await rawRequest(rig.server.url, `/v1/connections/${id}/proxy/services/data/v62.0/limits`, { headers: { authorization: `Bearer ${proxyKey}` } });
    expect(warm.status).toBe(200);
    const before = rig.emu.stats();
    // The provider ends this connection's sessions; Grantkeeper's cache still holds the token.
    expect(rig.emu.removeSessions({ userId: (await rig.connection(id)).provider_account.user_id })).toBeGreaterThan(0);
    const calls = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        fetch(`${proxyBase(id)}/services/data/v62.0/query?q=${encodeURIComponent(`SELECT Id FROM Account LIMIT ${(i % 3) + 1}`)}`, {
          method: i % 2 === 0 ? 'GET' : 'POST', // a POST body is replayed too
          headers: { authorization: `Bearer ${proxyKey}`, 'content-type': 'application/json' },
          body: i % 2 === 0 ? undefined : JSON.stringify({ n: i }),
        }),
      ),
    );
    expect(calls.map((r) => r.status)).toEqual(Array(10).fill(200));
    const bodies = (await Promise.all(calls.map((r) => r.json()))) as { totalSize: number }[];
    expect(bodies.map((b) => b.totalSize)).toEqual(Array.from({ length: 10 }, (_, i) => (i % 3) + 1));
    const after = rig.emu.stats();
    expect(after.refreshes - before.refreshes).toBe(1);
    // Calls that met the 401 shared the refresh; any that started after it used the new token.
    expect(after.rest_unauthorized - before.rest_unauthorized).toBeGreaterThanOrEqual(1);
  });

  test('a dead grant is 409 reauth_required marked as ours, with the reconnect link', async () => {
    const { id, refreshToken } = await rig.importGrant(rig.user().username);
    rig.emu.revokeApproval(refreshToken);
    const res = await rawRequest(rig.server.url, `/v1/connections/${id}/proxy/services/data/v62.0/limits`, { headers: { authorization: `Bearer ${proxyKey}` } });
    expect(res.status).toBe(409);
    expect(res.headers['grantkeeper-proxy-error']).toBe('true');
    const problem = JSON.parse(res.body);
    expect(problem).toMatchObject({ code: 'reauth_required', reconnect_url: expect.any(String) });
    expect((await rig.connection(id)).status).toBe('needs_reauth');
    // From then on without asking the provider.
    const restBefore = rig.emu.stats().rest_requests;
    const again = await rawRequest(rig.server.url, `/v1/connections/${id}/proxy/services/data/v62.0/limits`, { headers: { authorization: `Bearer ${proxyKey}` } });
    expect(again.status).toBe(409);
    expect(rig.emu.stats().rest_requests).toBe(restBefore);
  });

  test('a dashboard session cannot use the proxy or MCP, not even with the admin key behind it', async () => {
    const { id } = await rig.importGrant(rig.user().username);
    const login = await fetch(`${rig.server.url}/ui/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: rig.server.key }) });
    expect(login.status).toBe(204);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const page = await (await fetch(`${rig.server.url}/ui`, { headers: { cookie } })).text();
    const csrf = /name="gk-csrf" content="([^"]+)"/.exec(page)![1]!;
    const restBefore = rig.emu.stats().rest_requests;
    const res = await rawRequest(rig.server.url, `/v1/connections/${id}/proxy/services/data/v62.0/limits`, { headers: { cookie, 'x-grantkeeper-csrf': csrf } });
    expect(res.status).toBe(403);
    expect(res.headers['grantkeeper-proxy-error']).toBe('true');
    expect(JSON.parse(res.body)).toMatchObject({ code: 'insufficient_scope', required_scope: 'proxy' });
    const mcp = await fetch(`${rig.server.url}/mcp`, {
      method: 'POST',
      headers: { cookie, 'x-grantkeeper-csrf': csrf, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(mcp.status).toBe(403);
    expect(rig.emu.stats().rest_requests).toBe(restBefore);
  });

  test('HEAD goes through like GET, without a body', async () => {
    const { id } = await rig.importGrant(rig.user().username);
    const res = await rawRequest(rig.server.url, `/v1/connections/${id}/proxy/services/data/v62.0/limits`, { method: 'HEAD', headers: { authorization: `Bearer ${proxyKey}` } });
    expect(res.status).toBe(200);
    expect(res.body).toBe('');
    expect(res.headers['sforce-limit-info']).toBeDefined();
  });

  test('calls are audited as proxy.request, one row per key, connection and minute with a count; metrics count them', async () => {
    const { id } = await rig.importGrant(rig.user().username);
    for (let i = 0; i < 3; i++) {
      const res = await rawRequest(rig.server.url, `/v1/connections/${id}/proxy/services/data/v62.0/sobjects`, { headers: { authorization: `Bearer ${proxyKey}` } });
      expect(res.status).toBe(200);
    }
    const rows = await until('the proxy.request audit row', async () => {
      const list = await rig.server.api('GET', `/v1/audit-events?action=proxy.request&connection=${id}`);
      const data = list.body.data as { count: number; actor: { name: string }; target: { id: string } }[];
      return data.reduce((sum, row) => sum + row.count, 0) === 3 ? data : null;
    });
    expect(rows.every((row) => row.actor.name === 'agent' && row.target.id === id)).toBe(true);
    expect(rows.length).toBeLessThanOrEqual(2); // a minute boundary may split them, never more
    const metrics = await (await fetch(`${rig.server.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`grantkeeper_proxy_requests_total\\{integration="${rig.integrationKey}",status_class="2xx"\\} \\d+`));
    expect(metrics).toMatch(new RegExp(`grantkeeper_proxy_bytes_total\\{integration="${rig.integrationKey}",direction="response"\\} [1-9]`));
    expect(metrics).toMatch(/grantkeeper_proxy_duration_seconds_count\{integration="[^"]+"\} [1-9]/);
    expect(metrics).toMatch(/grantkeeper_proxy_requests_total\{integration="[^"]+",status_class="refused"\} [1-9]/);
  });

  test('the response bytes metric counts exactly the body the caller got, and the duration one call each', async () => {
    const { id } = await rig.importGrant(rig.user().username);
    const read = async () => {
      const text = await (await fetch(`${rig.server.url}/metrics`)).text();
      const metric = (pattern: string) => Number(new RegExp(`${pattern} (\\d+)`).exec(text)?.[1] ?? 0);
      return {
        bytes: metric(`grantkeeper_proxy_bytes_total\\{integration="${rig.integrationKey}",direction="response"\\}`),
        calls: metric(`grantkeeper_proxy_duration_seconds_count\\{integration="${rig.integrationKey}"\\}`),
      };
    };
    const before = await read();
    const res = await rawRequest(rig.server.url, `/v1/connections/${id}/proxy/services/data/v62.0/limits`, { headers: { authorization: `Bearer ${proxyKey}` } });
    expect(res.status).toBe(200);
    const after = await read();
    expect(Buffer.byteLength(res.body)).toBeGreaterThan(0);
    expect(after.bytes - before.bytes).toBe(Buffer.byteLength(res.body));
    expect(after.calls - before.calls).toBe(1);
  });
});
