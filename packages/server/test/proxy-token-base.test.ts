// The API proxy for catalog providers whose base is not a fixed URL, end to end on both
// backends: the emulator's generic mode over real HTTP answers like Pipedrive (its token
// response names the company's API host in api_domain), and a catalog integration sets its own
// api_base_url. Provider hosts reach local servers through GRANTKEEPER_LOGIN_HOST_OVERRIDES.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startSalesforceEmulator, type SalesforceEmulator } from '@grantkeeper/salesforce-emulator';
import { runCli } from './cli-run.js';
import { BACKENDS } from './helpers/databases.js';
import { startFakeNango } from './helpers/nango-server.js';
import { rawRequest, startProviderApi, type ProviderApi } from './helpers/provider-api.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const COMPANY_HOST = 'acme.pipedrive.com';

describe.each(BACKENDS)('API bases of catalog providers on %s', (backend) => {
  let emu: SalesforceEmulator;
  let api: ProviderApi;
  let server: TestServer;
  let n = 0;
  const auth = () => ({ authorization: `Bearer ${server.key}` });

  beforeAll(async () => {
    emu = await startSalesforceEmulator({ port: 0 });
    // Pipedrive's token endpoint path (https://oauth.pipedrive.com/oauth/token).
    emu.addTokenEndpoint('/oauth/token');
    api = await startProviderApi();
    server = await startTestServer(
      backend,
      { GRANTKEEPER_LOGIN_HOST_OVERRIDES: `oauth.pipedrive.com=${emu.url},oauth2.googleapis.com=${emu.url},${COMPANY_HOST}=${api.url}` },
      { logName: `proxy-token-base-${backend}` },
    );
  });
  afterAll(async () => {
    await server?.stop();
    await api?.close();
    await emu?.close();
  });

  /** A Pipedrive integration on an emulator app whose token responses carry `apiDomain`, and one imported grant. */
  async function pipedriveConnection(apiDomain: string): Promise<string> {
    const clientId = `pipedrive-${backend}-${++n}`;
    emu.createApp({ clientId, clientSecret: `secret-${n}`, mode: 'generic', callbackUrls: ['https://app.example/cb'], tokenResponseFields: { api_domain: apiDomain } });
    const username = `pd-${backend}-${n}@example.com`;
    emu.createUser({ username });
    const tokens = emu.issueTokens({ clientId, username });
    const created = await server.api('POST', '/v1/integrations', { key: clientId, provider: 'pipedrive', client_id: clientId, client_secret: `secret-${n}` });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const imported = await server.api('POST', '/v1/connections', {
      integration: clientId,
      end_user: { id: `user-${n}` },
      credentials: { refresh_token: String(tokens.refresh_token) },
    });
    expect(imported.status, JSON.stringify(imported.body)).toBe(201);
    return imported.body.id as string;
  }

  test('a token response naming api_domain: the grant keeps it and the proxy reaches the company’s host', async () => {
    const id = await pipedriveConnection(`https://${COMPANY_HOST}/`);
    const refreshed = await server.api('POST', `/v1/connections/${id}/refresh`);
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
    const accessToken = refreshed.body.access_token as string;
    // Stored with the grant, sent to the override's origin (as a token URL would be).
    expect(refreshed.body.instance_url).toBe(api.url);
    const shown = await server.api('GET', `/v1/connections/${id}`);
    expect(shown.body.provider_account.instance_url).toBe(api.url);

    const res = await rawRequest(server.url, `/v1/connections/${id}/proxy/api/v1/deals?limit=2`, { headers: auth() });
    expect(res.status, res.body).toBe(200);
    const seen = JSON.parse(res.body);
    expect(seen).toMatchObject({ method: 'GET', url: '/api/v1/deals?limit=2' });
    expect(seen.headers.authorization).toBe(`Bearer ${accessToken}`);
  });

  test('an api_domain off the provider’s hosts is not kept: the proxy has no base and says so', async () => {
    const id = await pipedriveConnection('https://evil.example');
    const refreshed = await server.api('POST', `/v1/connections/${id}/refresh`);
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
    expect(refreshed.body.instance_url).toBeNull();
    const before = api.received.length;
    const res = await rawRequest(server.url, `/v1/connections/${id}/proxy/api/v1/deals`, { headers: auth() });
    expect(res.status).toBe(422);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'proxy_not_configured' });
    expect(api.received.length).toBe(before);
  });

  test('an imported instance URL is checked like a live answer', async () => {
    const clientId = `pipedrive-import-${backend}`;
    const created = await server.api('POST', '/v1/integrations', { key: clientId, provider: 'pipedrive', client_id: clientId, client_secret: 's' });
    expect(created.status).toBe(201);
    const refused = await server.api('POST', '/v1/connections', {
      integration: clientId,
      end_user: { id: 'import-user' },
      credentials: { refresh_token: `import-rt-${backend}-1`, instance_url: 'https://evil.example' },
    });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain('credentials.instance_url');
    const kept = await server.api('POST', '/v1/connections', {
      integration: clientId,
      end_user: { id: 'import-user' },
      credentials: { refresh_token: `import-rt-${backend}-2`, instance_url: `https://${COMPANY_HOST}` },
    });
    expect(kept.status, JSON.stringify(kept.body)).toBe(201);
    expect(kept.body.provider_account.instance_url).toBe(api.url);
  });

  test('Nango’s import: the raw token response’s api_domain becomes the instance URL, and the proxy reaches it at once', async () => {
    const key = `pipedrive-nango-${backend}`;
    const created = await server.api('POST', '/v1/integrations', { key, provider: 'pipedrive', client_id: key, client_secret: 's' });
    expect(created.status).toBe(201);
    const nangoImport = (id: string, apiDomain: string) =>
      server.api('POST', '/nango/connections', {
        provider_config_key: key,
        connection_id: id,
        end_user: { id: `end-${id}` },
        credentials: { type: 'OAUTH2', access_token: `at-${id}`, refresh_token: `rt-${id}-${backend}`, raw: { api_domain: apiDomain, expires_in: 3600 } },
      });
    const good = await nangoImport('nango-good', `https://${COMPANY_HOST}`);
    expect(good.status, JSON.stringify(good.body)).toBe(201);
    const connections = await server.api('GET', `/v1/connections?integration=${key}`);
    const imported = (connections.body.data as { id: string; external_id: string; provider_account: { instance_url: string | null } }[]).find((c) => c.external_id === 'nango-good')!;
    expect(imported.provider_account.instance_url).toBe(api.url);
    const res = await rawRequest(server.url, `/v1/connections/${imported.id}/proxy/api/v1/users/me`, { headers: auth() });
    expect(res.status, res.body).toBe(200);
    expect(JSON.parse(res.body).headers.authorization).toBe('Bearer at-nango-good');
    // A foreign one is dropped, not a refused import: the first refresh names the host.
    const foreign = await nangoImport('nango-foreign', 'https://evil.example');
    expect(foreign.status, JSON.stringify(foreign.body)).toBe(201);
  });

  test('grantkeeper import --from-nango reads the api_domain Nango kept in raw', async () => {
    const nango = await startFakeNango('nango-secret-test');
    try {
      const key = `pipedrive-cli-${backend}`;
      expect((await server.api('POST', '/v1/integrations', { key, provider: 'pipedrive', client_id: key, client_secret: 's' })).status).toBe(201);
      nango.connections.push({
        connection_id: 'cli-pd-1',
        provider_config_key: key,
        provider: 'pipedrive',
        end_user: { id: 'cli-user', email: null },
        metadata: null,
        connection_config: {},
        credentials: { type: 'OAUTH2', access_token: 'cli-at', refresh_token: `cli-rt-${backend}`, raw: { api_domain: `https://${COMPANY_HOST}` } },
      });
      const env = { GRANTKEEPER_URL: server.url, GRANTKEEPER_SECRET_KEY: server.key, NANGO_SECRET_KEY: 'nango-secret-test', NO_COLOR: '1' };
      const run = await runCli(['import', '--from-nango', nango.url], { env });
      expect(run.code, run.stderr).toBe(0);
      const listed = await server.api('GET', `/v1/connections?integration=${key}`);
      expect(listed.body.data).toHaveLength(1);
      expect(listed.body.data[0].provider_account.instance_url).toBe(api.url);
    } finally {
      await nango.close();
    }
  });

  test('a catalog integration’s own api_base_url overrides the catalog’s base', async () => {
    const key = `google-gmail-${backend}`;
    const created = await server.api('POST', '/v1/integrations', {
      key,
      provider: 'google',
      client_id: key,
      client_secret: 's',
      api_base_url: `${api.url}/gmail/`,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.api_base_url).toBe(`${api.url}/gmail`);
    const imported = await server.api('POST', '/v1/connections', {
      integration: key,
      end_user: { id: 'gmail-user' },
      credentials: { refresh_token: `gmail-rt-${backend}`, access_token: `gmail-at-${backend}`, issued_at: new Date().toISOString() },
    });
    expect(imported.status, JSON.stringify(imported.body)).toBe(201);
    const res = await rawRequest(server.url, `/v1/connections/${imported.body.id}/proxy/gmail/v1/users/me/profile`, { headers: auth() });
    expect(res.status, res.body).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ url: '/gmail/gmail/v1/users/me/profile' });
    expect(JSON.parse(res.body).headers.authorization).toBe(`Bearer gmail-at-${backend}`);

    // Validated like a custom provider's; clearing it brings back the catalog's base.
    const bad = await server.api('PATCH', `/v1/integrations/${key}`, { api_base_url: 'https://api.example.com/?q=1' });
    expect(bad.status).toBe(400);
    const cleared = await server.api('PATCH', `/v1/integrations/${key}`, { api_base_url: null });
    expect(cleared.status, JSON.stringify(cleared.body)).toBe(200);
    expect(cleared.body.api_base_url).toBeNull();
  });
});
