// Providers without RFC 7009 revoke with their own APIs (catalog auth.revocation). Each one's
// request is sent over real HTTP to the emulator's generic mode, configured with a revocation
// endpoint at that provider's method and path; the emulator reports where the token was and
// how the client authenticated, and the grant must end. Then the whole path — queue in a
// transaction, the revocation worker, the provider request — on both databases.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startSalesforceEmulator, type SalesforceEmulator } from '@grantkeeper/salesforce-emulator';
import { findIntegrationByKey } from '../src/db/integrations/find-integration.js';
import { queueTokenRevocation } from '../src/grants/revocation-queue.js';
import { listProviders, type ProviderEntry } from '../src/providers/catalog/catalog.js';
import { ProviderRegistry } from '../src/providers/registry.js';
import { TOKEN_SLOT, type RevocationRequest } from '../src/providers/revocation/request.js';
import { sendProviderRevocation } from '../src/oauth/provider-revoke.js';
import { BACKENDS } from './helpers/databases.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { until } from './helpers/wait.js';

// Values for the template variables the revocation URLs use.
const CONFIG: Record<string, Record<string, string>> = {
  zendesk: { subdomain: 'acme' },
  servicenow: { instance: 'acme' },
  clio: { clio_host: 'eu.app.clio.com' },
};

const withRevocation = listProviders().filter((e): e is ProviderEntry & { auth: { revocation: RevocationRequest } } => !!e.auth.revocation);

/** What the emulator should report for a request built from this shape. */
function expectedShape(spec: RevocationRequest) {
  const clientAuth = { client_secret_basic: 'basic', client_secret_post: 'body', client_secret_header: `header:${spec.client_auth_scheme}`, none: spec.client_id_field ? 'client_id' : 'none' }[spec.client_auth];
  return {
    token_in: spec.token_in,
    ...(spec.token_field ? { token_field: spec.token_field } : {}),
    token_kind: spec.token,
    client_auth: clientAuth,
    content: spec.body,
  };
}

describe('provider revocation requests against the emulator', () => {
  let emu: SalesforceEmulator;
  let n = 0;
  beforeAll(async () => {
    emu = await startSalesforceEmulator({ port: 0 });
  });
  afterAll(() => emu?.close());

  /** A generic app with one grant, and the provider's revocation endpoint served by the emulator. */
  function setUp(entry: ProviderEntry) {
    const clientId = `${entry.key}-${++n}`;
    emu.createApp({ clientId, clientSecret: `secret-${n}`, mode: 'generic', callbackUrls: ['https://app.example/cb'] });
    const username = `${entry.key}-${n}@example.com`;
    emu.createUser({ username });
    const tokens = emu.issueTokens({ clientId, username });
    const registry = new ProviderRegistry({ hostOrigins: new Map([[hostOf(entry), emu.url]]) });
    const request = registry.revocationRequest(
      { provider: entry.key, clientId, scopes: [], authBaseUrl: null, providerConfig: {} },
      CONFIG[entry.key] ?? {},
    )!;
    expect(request.url.startsWith(emu.url), entry.key).toBe(true);
    const path = new URL(request.url).pathname.replace(TOKEN_SLOT, ':token');
    emu.addRevocationEndpoint({ method: request.spec.method, path });
    const token = String(request.spec.token === 'access_token' ? tokens.access_token : tokens.refresh_token);
    return { clientId, request, token, refreshToken: String(tokens.refresh_token), path };
  }
  const hostOf = (entry: ProviderEntry): string => {
    const values = CONFIG[entry.key] ?? {};
    const url = entry.auth.revocation!.url.replace(/\{([a-z_]+)\}/g, (_, name: string) => values[name] ?? entry.template_variables[name]?.default ?? 'x');
    return new URL(url).host;
  };

  test('at least the issue\'s providers without RFC 7009 have a revocation request', () => {
    const keys = withRevocation.map((e) => e.key);
    for (const key of ['github', 'hubspot', 'slack', 'zendesk']) expect(keys).toContain(key);
    expect(keys.length).toBeGreaterThanOrEqual(12);
  });

  test.each(withRevocation.map((e) => [e.key, e] as const))('%s: the emulator sees the provider request and the grant ends', async (_key, entry) => {
    const { clientId, request, token, refreshToken, path } = setUp(entry);
    const spec = request.spec;
    const outcome = await sendProviderRevocation(fetch, spec, { url: request.url, token, clientId, clientSecret: `secret-${n}` });
    expect(outcome).toEqual({ ok: true, alreadyInvalid: false });

    const seen = emu.requestLog({ endpoint: 'revoke' }).at(-1)!;
    expect(seen.method).toBe(spec.method);
    expect(seen.status).toBe(200);
    expect(seen.path.startsWith(path.split(':token')[0]!)).toBe(true);
    expect(seen.revocation).toMatchObject(expectedShape(spec));
    if (spec.client_id_field) expect(seen.revocation!.client_id_field).toBe(spec.client_id_field);
    for (const [field] of Object.entries(spec.params ?? {})) expect(seen.revocation!.fields).toContain(field);
    expect(emu.refreshTokenStatus(refreshToken).status).toBe('revoked');

    // Again: the token is dead. A refused refresh token means revoked already; a refused
    // access token proves nothing about the grant, so that is a failure, not retried.
    const again = await sendProviderRevocation(fetch, spec, { url: request.url, token, clientId, clientSecret: `secret-${n}` });
    if (spec.token === 'refresh_token') expect(again).toEqual({ ok: true, alreadyInvalid: true });
    else expect(again).toMatchObject({ ok: false, retryable: false });
  });

  test('a wrong client secret is refused and the grant lives on', async () => {
    const github = withRevocation.find((e) => e.key === 'github')!;
    const { clientId, request, token, refreshToken } = setUp(github);
    const outcome = await sendProviderRevocation(fetch, request.spec, { url: request.url, token, clientId, clientSecret: 'wrong' });
    expect(outcome.ok).toBe(false);
    expect(emu.requestLog({ endpoint: 'revoke' }).at(-1)!.revocation).toMatchObject({ client_auth: 'basic', token_in: 'body', token_field: 'access_token' });
    expect(emu.refreshTokenStatus(refreshToken).status).toBe('current');
  });

  test('a 2xx that says ok:false (Slack) is not a revocation', async () => {
    const slack = withRevocation.find((e) => e.key === 'slack')!;
    expect(slack.auth.revocation.success_field).toBe('ok');
    const { clientId, request } = setUp(slack);
    const outcome = await sendProviderRevocation(async () => new Response('{"ok":false,"error":"ratelimited"}', { status: 200 }), request.spec, {
      url: request.url,
      token: 'xoxe-unknown',
      clientId,
      clientSecret: null,
    });
    expect(outcome).toMatchObject({ ok: false, retryable: false });
  });
});

describe.each(BACKENDS)('queued provider revocations on %s', (backend) => {
  let emu: SalesforceEmulator;
  let server: TestServer;
  let n = 0;

  beforeAll(async () => {
    emu = await startSalesforceEmulator({ port: 0 });
    const origin = emu.url;
    server = await startTestServer(
      backend,
      { GRANTKEEPER_REVOCATION_POLL_INTERVAL_MS: '50', GRANTKEEPER_LOGIN_HOST_OVERRIDES: `api.hubapi.com=${origin},api.github.com=${origin}` },
      { logName: `provider-revocation-${backend}` },
    );
  });
  afterAll(async () => {
    await server?.stop();
    await emu?.close();
  });

  test.each(['hubspot', 'github'])('%s: a let-go grant is revoked by the worker with the provider request', async (provider) => {
    const clientId = `${provider}-queued-${++n}-${Date.now()}`;
    const clientSecret = `queued-secret-${n}`;
    emu.createApp({ clientId, clientSecret, mode: 'generic', callbackUrls: ['https://app.example/cb'] });
    const username = `queued-${provider}-${n}@example.com`;
    emu.createUser({ username });
    const tokens = emu.issueTokens({ clientId, username });
    const spec = listProviders().find((e) => e.key === provider)!.auth.revocation!;
    emu.addRevocationEndpoint({ method: spec.method, path: provider === 'hubspot' ? '/oauth/v1/refresh-tokens/:token' : `/applications/${clientId}/token` });

    const created = await server.api('POST', '/v1/integrations', { key: `${provider}-${n}`, provider, client_id: clientId, client_secret: clientSecret });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const integration = await findIntegrationByKey(server.ctx.db.kysely, `${provider}-${n}`);
    const refreshToken = String(tokens.refresh_token);
    await server.ctx.db.kysely.transaction().execute((trx) =>
      queueTokenRevocation(server.ctx, trx, { refreshToken, accessToken: () => String(tokens.access_token), connectionId: null, connectionConfig: {} }, integration!),
    );
    const row = await server.ctx.db.kysely.selectFrom('revocations').selectAll().where('integration_id', '=', integration!.id).executeTakeFirstOrThrow();
    // The stored URL never holds a token; the token is encrypted apart.
    expect(row.revoke_url).not.toContain(refreshToken);
    expect(row.revoke_url).not.toContain(String(tokens.access_token));
    expect(row.client_auth).toBe(`provider:${provider}`);
    expect(row.token_type_hint).toBe(spec.token);

    await server.services.hooks.revokeQueued();
    await until('the revocation is done', async () => (await server.ctx.db.kysely.selectFrom('revocations').select('status').where('id', '=', row.id).executeTakeFirstOrThrow()).status === 'done');
    expect(emu.refreshTokenStatus(refreshToken).status).toBe('revoked');
    expect(emu.requestLog({ endpoint: 'revoke' }).at(-1)!.revocation).toMatchObject(expectedShape(spec));
    const done = await server.ctx.db.kysely.selectFrom('revocations').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
    expect(done.token_enc).toBeNull();
    expect(done.client_secret_enc).toBeNull();
  });
});
