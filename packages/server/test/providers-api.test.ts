// The catalog over HTTP: GET /v1/providers and /{key}, integrations for every catalog key
// (defaults from the entry, `none` refused), and connection_config on import validated
// against the entry's template variables — on both databases.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { listProviders } from '../src/providers/catalog/catalog.js';
import { BACKENDS } from './helpers/databases.js';
import { startTestServer, type TestServer } from './helpers/server.js';

describe.each(BACKENDS)('provider catalog API on %s', (backend) => {
  let server: TestServer;
  let n = 0;
  beforeAll(async () => {
    server = await startTestServer(backend, {}, { logName: 'providers-api' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const integration = async (provider: string, extra: Record<string, unknown> = {}) => {
    const key = `${provider}-${++n}`;
    const res = await server.api('POST', '/v1/integrations', { key, provider, client_id: `client-${key}`, client_secret: 'secret-do-not-leak', ...extra });
    return { key, res };
  };
  const importWith = (integrationKey: string, connectionConfig: unknown, token = `rt-${++n}-${Math.random().toString(36).slice(2)}`) =>
    server.api('POST', '/v1/connections', {
      integration: integrationKey,
      end_user: { id: `user-${n}` },
      ...(connectionConfig === undefined ? {} : { connection_config: connectionConfig }),
      credentials: { refresh_token: token },
    });

  test('lists the whole catalog, Salesforce first, paginated, without needing anything secret', async () => {
    const all = await server.api('GET', '/v1/providers?limit=500');
    expect(all.status).toBe(200);
    expect(all.body.next_cursor).toBeNull();
    const entries = listProviders();
    expect(all.body.data.map((p: any) => p.key)).toEqual(entries.map((e) => e.key));
    expect(all.body.data[0].key).toBe('salesforce');
    // Each entry as it is in the catalog, plus the derived fields.
    for (const [i, entry] of entries.entries()) {
      const { supported, integration_defaults, ...rest } = all.body.data[i];
      expect(rest).toEqual(entry);
      expect(supported).toBe(entry.refresh_model !== 'none' && !entry.unsupported?.refresh);
      expect(integration_defaults.keepalive_s).toBeGreaterThan(0);
    }

    // Pages of 10 walk the same list.
    const keys: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await server.api('GET', `/v1/providers?limit=10${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(10);
      keys.push(...page.body.data.map((p: any) => p.key));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(keys).toEqual(entries.map((e) => e.key));

    const none = await server.api('GET', '/v1/providers?refresh_model=none');
    expect(none.body.data.map((p: any) => p.key)).toEqual(entries.filter((e) => e.refresh_model === 'none').map((e) => e.key));

    // Filters: grant type, rotation, text, category; they combine, and pages walk the filtered list.
    const keysOf = async (query: string) => {
      const res = await server.api('GET', `/v1/providers?limit=500&${query}`);
      expect(res.status, query).toBe(200);
      return res.body.data.map((p: any) => p.key) as string[];
    };
    const cc = entries.filter((e) => e.grant_types.includes('client_credentials')).map((e) => e.key);
    expect(cc.length).toBeGreaterThan(5);
    expect(await keysOf('grant_type=client_credentials')).toEqual(cc);
    expect(await keysOf('grant_type=jwt_bearer')).toEqual(entries.filter((e) => e.grant_types.includes('jwt_bearer')).map((e) => e.key));
    expect(await keysOf('rotates=always')).toEqual(entries.filter((e) => e.tokens.rotation.rotates === 'always').map((e) => e.key));
    expect(await keysOf('rotates=unknown')).toEqual(entries.filter((e) => e.tokens.rotation.rotates === null).map((e) => e.key));
    expect(await keysOf('q=HUB')).toEqual(entries.filter((e) => /hub/i.test(e.key + e.name + (e.category ?? ''))).map((e) => e.key));
    expect(await keysOf('q=hubspot')).toEqual(['hubspot']);
    expect(await keysOf('category=accounting')).toEqual(entries.filter((e) => e.category === 'accounting').map((e) => e.key));
    expect(await keysOf('q=zzz-nothing')).toEqual([]);
    const both = await keysOf('grant_type=client_credentials&rotates=always');
    expect(both).toEqual(entries.filter((e) => e.grant_types.includes('client_credentials') && e.tokens.rotation.rotates === 'always').map((e) => e.key));
    const filteredPages: string[] = [];
    let filteredCursor: string | null = null;
    do {
      const page: any = await server.api('GET', `/v1/providers?grant_type=client_credentials&limit=2${filteredCursor ? `&cursor=${filteredCursor}` : ''}`);
      filteredPages.push(...page.body.data.map((p: any) => p.key));
      filteredCursor = page.body.next_cursor;
    } while (filteredCursor);
    expect(filteredPages).toEqual(cc);

    for (const bad of ['grant_type=password', 'rotates=yes', `q=${'x'.repeat(101)}`, 'q=', 'category=Bad-Cat', 'cursor=nope', 'cursor=' + Buffer.from('{"after":"no-such"}').toString('base64url'), 'limit=0', 'limit=501', 'refresh_model=x', 'unknown=1']) {
      const res = await server.api('GET', `/v1/providers?${bad}`);
      expect(res.status, bad).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    const anonymous = await fetch(`${server.url}/v1/providers`);
    expect(anonymous.status).toBe(401);
  });

  test('gets one entry, 404 problem for an unknown key', async () => {
    const shop = await server.api('GET', '/v1/providers/shopify');
    expect(shop.status).toBe(200);
    expect(shop.body).toMatchObject({
      key: 'shopify',
      name: expect.any(String),
      refresh_model: 'rotating',
      docs_url: expect.stringMatching(/^https:\/\//),
      template_variables: { shop: { from: 'connection_config', kind: 'value', pattern: '^[a-z0-9][a-z0-9-]*$' } },
      auth: { token_url: 'https://{shop}.myshopify.com/admin/oauth/access_token' },
      tokens: { returns_expires_in: true, access_token_ttl_s: 3600 },
      supported: true,
      integration_defaults: { keepalive_s: 86_400, access_token_ttl_s: 3600 },
    });
    expect(shop.body.facts['/auth/token_url'].source).toMatch(/^https:\/\//);
    const intercom = await server.api('GET', '/v1/providers/intercom');
    expect(intercom.body).toMatchObject({ refresh_model: 'none', supported: false });

    for (const key of ['nope', 'oauth2', '..%2f..%2fetc', 'SALESFORCE']) {
      const res = await server.api('GET', `/v1/providers/${key}`);
      expect(res.status, key).toBe(404);
      expect(res.body).toMatchObject({ status: 404, code: 'not_found' });
    }
    expect((await server.api('GET', `/v1/providers/${'x'.repeat(65)}`)).status).toBe(400);
  });

  test('/openapi.json documents both routes with the entry schema', async () => {
    const doc = (await server.api('GET', '/openapi.json')).body;
    expect(doc.paths['/v1/providers'].get).toBeDefined();
    expect(doc.paths['/v1/providers/{key}'].get).toBeDefined();
    const schema = doc.paths['/v1/providers/{key}'].get.responses['200'].content['application/json'].schema;
    expect(JSON.stringify(schema)).toContain('template_variables');
    expect(JSON.stringify(schema)).toContain('refresh_token_absolute_ttl_s');
  });

  test('accepts every catalog key that refreshes, with defaults from its entry; refuses the ones that do not', async () => {
    for (const entry of listProviders()) {
      const { res } = await integration(entry.key);
      if (entry.refresh_model === 'none') {
        expect(res.status, entry.key).toBe(400);
        expect(res.body.code).toBe('validation_failed');
        expect(res.body.errors).toEqual([{ field: 'provider', message: expect.stringContaining('issues no refresh tokens') }]);
        continue;
      }
      if (entry.unsupported?.refresh) {
        expect(res.status, entry.key).toBe(400);
        expect(res.body.errors).toEqual([{ field: 'provider', message: expect.stringContaining('cannot be refreshed by Grantkeeper yet') }]);
        continue;
      }
      expect(res.status, `${entry.key}: ${JSON.stringify(res.body)}`).toBe(201);
      expect(res.body.refresh.access_token_ttl_s, entry.key).toBe(entry.tokens.access_token_ttl_s ?? 7200);
      const idle = entry.tokens.refresh_token_idle_ttl_s;
      expect(res.body.refresh.keepalive_s, entry.key).toBe(idle === null ? 86_400 : Math.min(86_400, Math.floor(idle / 3)));
    }
    // Explicit settings still win over the entry's defaults.
    const { res } = await integration('hubspot', { refresh: { keepalive_s: 3600, access_token_ttl_s: 900 } });
    expect(res.body.refresh).toMatchObject({ keepalive_s: 3600, access_token_ttl_s: 900 });
    expect((await integration('no-such-provider')).res.body.errors[0].message).toContain('unknown provider');
  });

  test('a Salesforce base URL must be a bare origin, so its endpoints always render', async () => {
    for (const bad of ['https://acme.my.salesforce.com/path', 'https://acme.my.salesforce.com?x=1', 'https://user:pw@acme.my.salesforce.com']) {
      const { res } = await integration('salesforce', { auth_base_url: bad });
      expect(res.status, bad).toBe(400);
      expect(res.body.errors.map((e: any) => e.field)).toContain('auth_base_url');
    }
    expect((await integration('salesforce', { auth_base_url: 'https://acme.my.salesforce.com/' })).res.status).toBe(201);
  });

  test('connection_config on import: validated against the entry, defaults stored', async () => {
    const shop = (await integration('shopify')).key;
    const good = await importWith(shop, { shop: 'acme-store' });
    expect(good.status).toBe(201);
    expect(good.body.connection_config).toEqual({ shop: 'acme-store' });
    expect(good.body.refresh_token_expires_at).toBeNull();

    const missing = await importWith(shop, undefined);
    expect(missing.status).toBe(400);
    expect(missing.body.errors).toEqual([{ field: 'connection_config.shop', message: 'required' }]);

    const hostile = ['evil.com', 'evil.com/x', 'acme#', 'a@evil.com', 'acme:443', '..', 'ACME', 'ácme', '', 'acme\n', '%2e', 'acme.myshopify.com'];
    for (const value of hostile) {
      const res = await importWith(shop, { shop: value });
      expect(res.status, JSON.stringify(value)).toBe(400);
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.errors[0].field).toBe('connection_config.shop');
    }
    const extra = await importWith(shop, { shop: 'acme', tenant: 'x' });
    expect(extra.status).toBe(400);
    expect(extra.body.errors).toEqual([{ field: 'connection_config.tenant', message: expect.stringContaining('not a connection_config variable') }]);
    for (const shape of [['acme'], 'acme', { shop: { x: 1 } }, { shop: ['a', 'b'] }, { shop: null }]) {
      const res = await importWith(shop, shape);
      expect(res.status, JSON.stringify(shape)).toBe(400);
    }

    // A defaulted variable is optional and stored with its default.
    const microsoft = (await integration('microsoft')).key;
    expect((await importWith(microsoft, undefined)).body.connection_config).toEqual({ tenant: 'common' });
    expect((await importWith(microsoft, { tenant: 'contoso.onmicrosoft.com' })).body.connection_config).toEqual({ tenant: 'contoso.onmicrosoft.com' });
    expect((await importWith(microsoft, { tenant: 'contoso/../evil' })).status).toBe(400);

    const okta = (await integration('okta')).key;
    expect((await importWith(okta, { okta_domain: 'dev-123456.okta.com' })).body.connection_config).toEqual({
      okta_domain: 'dev-123456.okta.com',
      authorization_server_id: 'default',
    });
    expect((await importWith(okta, { okta_domain: 'evil.example.com' })).status).toBe(400);
    expect((await importWith(okta, { okta_domain: 'dev-1.okta.com.evil.com' })).status).toBe(400);

    const zoho = (await integration('zoho')).key;
    expect((await importWith(zoho, { dc: 'com.au' })).status).toBe(201);
    expect((await importWith(zoho, { dc: 'evil.com' })).status).toBe(400);

    // Salesforce's base URL comes from the integration, never from a connection.
    const sf = (await integration('salesforce')).key;
    const sfConfig = await importWith(sf, { auth_base_url: 'https://evil.example.com' });
    expect(sfConfig.status).toBe(400);
    expect(sfConfig.body.errors[0].field).toBe('connection_config.auth_base_url');

    // A custom provider has no template variables.
    const custom = (await integration('oauth2', { authorization_url: 'https://auth.example.com/a', token_url: 'https://auth.example.com/t' })).key;
    expect((await importWith(custom, {})).status).toBe(201);
    expect((await importWith(custom, { shop: 'acme' })).status).toBe(400);

    // Nothing was stored by a refused import.
    const rows = await server.ctx.db.kysely.selectFrom('connections').select('connection_config').execute();
    for (const row of rows) expect(JSON.stringify(row.connection_config)).not.toMatch(/evil/);
  });
});
