// One integration, many login hosts: `connection_config.login_host` sends a connection's
// authorization, refreshes and revocation to its own Salesforce login host. Emulators stand in
// for a sandbox login host and a sandbox My Domain through GRANTKEEPER_LOGIN_HOST_OVERRIDES
// (development and tests only); the host itself is validated exactly as in production.
import { startSalesforceEmulator, type SalesforceEmulator } from '@grantkeeper/salesforce-emulator';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { CatalogError, getProvider, parseEntry, renderEndpoints, validateConnectionConfig } from '../src/providers/catalog/catalog.js';
import { BACKENDS } from './helpers/databases.js';
import { startConnectRig, walkFlow, type ConnectRig } from './helpers/connect-flow.js';
import { startSalesforceRig } from './helpers/salesforce.js';
import { until } from './helpers/wait.js';

const SANDBOX = 'test.salesforce.com';
const MY_DOMAIN = 'acme--uat.sandbox.my.salesforce.com';
const BAD_HOSTS = [
  'evil.example.com',
  'login.salesforce.com.evil.example.com',
  'my.salesforce.com',
  'acme.my.salesforce.com:8443',
  'https://test.salesforce.com',
  'acme.my.salesforce.com/services',
  'acme..my.salesforce.com',
  '127.0.0.1',
  'acme.salesforce.com',
  'acme.my.salesforce.com.',
  '',
];

describe('the login_host variable, without a server', () => {
  const sf = getProvider('salesforce')!;

  test('given a login host, every endpoint goes to https://<host>; without one, to the integration\'s auth_base_url', () => {
    const base = 'https://acme.my.salesforce.com';
    expect(renderEndpoints(sf, { auth_base_url: base }).token_url).toBe(`${base}/services/oauth2/token`);
    for (const host of ['login.salesforce.com', SANDBOX, 'acme.my.salesforce.com', MY_DOMAIN, 'acme-dev-ed.develop.my.salesforce.com', 'acme.my.site.com']) {
      const urls = renderEndpoints(sf, { auth_base_url: base, connection_config: { login_host: host } });
      expect(urls.authorization_url).toBe(`https://${host}/services/oauth2/authorize`);
      expect(urls.token_url).toBe(`https://${host}/services/oauth2/token`);
      expect(urls.revoke_url).toBe(`https://${host}/services/oauth2/revoke`);
    }
    // Host names ignore case: stored and used lower-cased.
    expect(validateConnectionConfig(sf, { auth_base_url: base, connection_config: { login_host: 'Test.Salesforce.COM' } })).toMatchObject({ ok: true, values: { login_host: SANDBOX } });
  });

  test('anything else is refused with words, not a regular expression; an override never loosens the check', () => {
    const overrides = new Map([['evil.example.com', 'http://127.0.0.1:1']]);
    for (const host of BAD_HOSTS) {
      const check = validateConnectionConfig(sf, { auth_base_url: 'https://login.salesforce.com', connection_config: { login_host: host }, host_origins: overrides });
      expect(check.ok, host).toBe(false);
      if (!check.ok) expect(check.problems[0]!.message).toContain('login.salesforce.com, test.salesforce.com');
    }
    expect(validateConnectionConfig(sf, { connection_config: { login_host: 42 } }).ok).toBe(false);
  });

  test('an override only changes where calls for a valid host go', () => {
    const urls = renderEndpoints(sf, { auth_base_url: 'https://login.salesforce.com', connection_config: { login_host: SANDBOX }, host_origins: new Map([[SANDBOX, 'http://127.0.0.1:4291']]) });
    expect(urls.token_url).toBe('http://127.0.0.1:4291/services/oauth2/token');
  });

  test('the catalog only takes a host variable that comes from connection_config, has no default and replaces a base URL', () => {
    const variant = (change: (v: Record<string, unknown>) => void) => {
      const entry = structuredClone(sf) as unknown as { template_variables: Record<string, Record<string, unknown>> };
      change(entry.template_variables.login_host!);
      return () => parseEntry('salesforce.json', JSON.stringify(entry));
    };
    expect(variant(() => {})()).toMatchObject({ key: 'salesforce' });
    expect(variant((v) => (v.from = 'integration'))).toThrow(CatalogError);
    expect(variant((v) => (v.default = 'login.salesforce.com'))).toThrow(/no default/);
    expect(variant((v) => delete v.replaces)).toThrow(/base_url variable/);
    expect(variant((v) => (v.replaces = 'login_host'))).toThrow(/base_url variable/);
    expect(variant((v) => (v.kind = 'value'))).toThrow(/only a host variable replaces/);
  });

  test('GRANTKEEPER_LOGIN_HOST_OVERRIDES takes host=origin pairs and refuses anything else', () => {
    const config = loadConfig({ GRANTKEEPER_LOGIN_HOST_OVERRIDES: `Test.Salesforce.com=http://127.0.0.1:4291/, ${MY_DOMAIN}=https://emu.example:8443` });
    expect([...config.loginHosts.overrides]).toEqual([[SANDBOX, 'http://127.0.0.1:4291'], [MY_DOMAIN, 'https://emu.example:8443']]);
    expect(loadConfig({}).loginHosts.overrides.size).toBe(0);
    for (const bad of ['test.salesforce.com', 'test.salesforce.com=ftp://x', 'test.salesforce.com=http://127.0.0.1/path', '=http://127.0.0.1', 'bad host=http://127.0.0.1']) {
      expect(() => loadConfig({ GRANTKEEPER_LOGIN_HOST_OVERRIDES: bad }), bad).toThrow(ConfigError);
    }
  });
});

describe.each(BACKENDS)('one integration, production and sandbox orgs, on %s', (backend) => {
  let rig: ConnectRig;
  let sandbox: SalesforceEmulator;
  let myDomain: SalesforceEmulator;

  beforeAll(async () => {
    sandbox = await startSalesforceEmulator({ port: 0 });
    myDomain = await startSalesforceEmulator({ port: 0 });
    rig = await startConnectRig(backend, {
      logName: 'login-host',
      env: { GRANTKEEPER_LOGIN_HOST_OVERRIDES: `${SANDBOX}=${sandbox.url},${MY_DOMAIN}=${myDomain.url}` },
    });
    // The same app (client id and secret) exists where each org lives.
    for (const emu of [sandbox, myDomain]) {
      emu.createApp({ clientId: rig.clientId, clientSecret: rig.clientSecret, callbackUrls: [`${rig.publicUrl}/oauth/callback`] });
    }
  });
  afterAll(async () => {
    await rig?.stop();
    await sandbox?.close();
    await myDomain?.close();
  });

  const token = (id: string, query = '') => rig.server.api('GET', `/v1/connections/${id}/token${query}`);
  const refreshes = () => ({ prod: rig.emu.stats().refreshes, sandbox: sandbox.stats().refreshes, myDomain: myDomain.stats().refreshes });

  test('an imported grant with a My Domain login host refreshes and is revoked there; a production one at the integration\'s host', async () => {
    const prod = await rig.importGrant(rig.user().username);
    const user = myDomain.createUser({ username: 'uat-user@acme.example' });
    const issued = myDomain.issueTokens({ clientId: rig.clientId, username: user.username });
    const imported = await rig.server.api('POST', '/v1/connections', {
      integration: rig.integrationKey,
      end_user: { id: 'acme-uat' },
      connection_config: { login_host: 'ACME--UAT.Sandbox.My.Salesforce.com' },
      credentials: { refresh_token: String(issued.refresh_token), id_url: String(issued.id) },
    });
    expect(imported.status).toBe(201);
    expect(imported.body.connection_config).toEqual({ login_host: MY_DOMAIN });

    const before = refreshes();
    const uat = await token(imported.body.id);
    expect(uat.status).toBe(200);
    expect(uat.body.access_token.startsWith(user.org_id.slice(0, 15))).toBe(true);
    expect((await token(prod.id)).status).toBe(200);
    expect(refreshes()).toEqual({ prod: before.prod + 1, sandbox: before.sandbox, myDomain: before.myDomain + 1 });

    expect((await rig.server.api('DELETE', `/v1/connections/${imported.body.id}`)).status).toBe(204);
    await until('the revocation at the My Domain', () => myDomain.stats().revocations === 1);
    expect(myDomain.refreshTokenStatus(String(issued.refresh_token)).status).toBe('revoked');
    expect(rig.emu.stats().revocations).toBe(0);
  });

  test('a connect session for a sandbox org authorizes, refreshes and reconnects at test.salesforce.com', async () => {
    const user = sandbox.createUser({ username: 'sandbox-user@acme.example' });
    const created = await rig.server.api('POST', '/v1/connect-sessions', {
      integration: rig.integrationKey, end_user: { id: 'acme-sandbox' }, return_url: 'http://127.0.0.1:9/done', connection_config: { login_host: SANDBOX },
    });
    expect(created.status).toBe(201);
    const walk = await walkFlow(created.body.url, user.username);
    expect(walk.authorizeUrl.origin).toBe(sandbox.url);
    expect(walk.location?.searchParams.get('status')).toBe('success');
    const id = walk.location!.searchParams.get('connection_id')!;
    expect((await rig.connection(id)).connection_config).toEqual({ login_host: SANDBOX });
    expect(sandbox.stats().code_exchanges).toBe(1);

    const before = refreshes();
    expect((await token(id, '?force=true')).status).toBe(200);
    expect(refreshes()).toEqual({ ...before, sandbox: before.sandbox + 1 });

    // A reconnect keeps the connection's login host.
    const again = await rig.server.api('POST', '/v1/connect-sessions', { integration: rig.integrationKey, end_user: { id: 'acme-sandbox' }, connection_id: id });
    expect(again.status).toBe(201);
    const rewalk = await walkFlow(again.body.url, user.username);
    expect(rewalk.authorizeUrl.origin).toBe(sandbox.url);
    expect(rewalk.callback.status).toBe(200);
    expect(sandbox.stats().code_exchanges).toBe(2);
    expect(rig.emu.stats().code_exchanges).toBe(0);
  });

  test('any other login host is a 400 naming the field, on imports and connect sessions alike; nothing is stored', async () => {
    const count = async () => (await rig.server.ctx.db.kysely.selectFrom('connections').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;
    const sessions = async () => (await rig.server.ctx.db.kysely.selectFrom('connect_sessions').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;
    const [connectionsBefore, sessionsBefore] = [await count(), await sessions()];
    for (const host of [...BAD_HOSTS, 'x'.repeat(250) + '.my.salesforce.com']) {
      const imported = await rig.server.api('POST', '/v1/connections', {
        integration: rig.integrationKey, end_user: { id: 'nobody' }, connection_config: { login_host: host }, credentials: { refresh_token: `rt-${host}` },
      });
      expect(imported.status, host).toBe(400);
      expect(imported.headers.get('content-type')).toContain('application/problem+json');
      expect(imported.body.errors.map((e: { field: string }) => e.field)).toContain('connection_config.login_host');
      const session = await rig.server.api('POST', '/v1/connect-sessions', { integration: rig.integrationKey, end_user: { id: 'nobody' }, connection_config: { login_host: host } });
      expect(session.status, host).toBe(400);
      // Over 256 characters the request schema refuses it first, with its own words.
      const message = session.body.errors.find((e: { field: string }) => e.field.endsWith('login_host')).message;
      expect(message).toContain(host.length > 256 ? '256 characters' : 'test.salesforce.com');
    }
    expect(await count()).toBe(connectionsBefore);
    expect(await sessions()).toBe(sessionsBefore);
  });
});

describe.each(BACKENDS)('an override never opens the outbound policy, on %s', (backend) => {
  test('with private networks not allowed, a login host mapped to 127.0.0.1 is refused before any call (address_blocked)', async () => {
    const emu = await startSalesforceEmulator({ port: 0 });
    const rig = await startSalesforceRig(backend, {
      logName: 'login-host-blocked',
      env: { GRANTKEEPER_ALLOW_PRIVATE_NETWORK: 'false', GRANTKEEPER_LOGIN_HOST_OVERRIDES: `${SANDBOX}=${emu.url}` },
      integration: { auth_base_url: 'https://login.salesforce.com' },
    });
    try {
      emu.createApp({ clientId: rig.clientId, clientSecret: rig.clientSecret });
      const user = emu.createUser({ username: 'blocked@acme.example' });
      const issued = emu.issueTokens({ clientId: rig.clientId, username: user.username });
      const imported = await rig.server.api('POST', '/v1/connections', {
        integration: rig.integrationKey, end_user: { id: 'blocked' }, connection_config: { login_host: SANDBOX }, credentials: { refresh_token: String(issued.refresh_token) },
      });
      expect(imported.status).toBe(201);
      const res = await rig.server.api('GET', `/v1/connections/${imported.body.id}/token`);
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('integration_error');
      expect((await rig.connection(imported.body.id)).diagnosis.code).toBe('address_blocked');
      expect(emu.stats().token_requests).toBe(0);
    } finally {
      await rig.stop();
      await emu.close();
    }
  });
});
