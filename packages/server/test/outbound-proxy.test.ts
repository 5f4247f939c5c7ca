// Provider calls through a real HTTP proxy (Debian's tinyproxy, bound to 127.0.0.2 for its
// outgoing connections) to the Salesforce emulator, whose apps enforce a Refresh Token IP
// Allowlist of [127.0.0.2]: a direct call (from 127.0.0.1) is refused as Salesforce refuses
// it, a call through the proxy succeeds. Both databases.
import { readFileSync } from 'node:fs';
import { startSalesforceEmulator, type SalesforceEmulator } from '@grantkeeper/salesforce-emulator';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { keyIdOf } from '../src/crypto/envelope.js';
import { Keyring } from '../src/crypto/keyring.js';
import { cliAudit } from '../src/audit/actors.js';
import { rotateKeys } from '../src/keys/rotate.js';
import { integrationEgressOf } from '../src/model/integration-egress.js';
import { INHERIT_EGRESS } from '../src/outbound/egress-route.js';
import { OutboundProxyError } from '../src/outbound/errors.js';
import { ProviderEgress } from '../src/outbound/provider-egress.js';
import { parseProxyUrl } from '../src/outbound/proxy-url.js';
import { runCli } from './cli-run.js';
import { BACKENDS, createTestDatabase, type BackendKind, type TestDatabase } from './helpers/databases.js';
import { startTestServer, testEncryptionKeys, type TestServer } from './helpers/server.js';
import { freePort, startTinyproxy, type TinyProxy } from './helpers/tinyproxy.js';
import { until } from './helpers/wait.js';

const PROXY_USER = 'egress-user';
const PROXY_PASSWORD = 'pr0xy-Pa55-x7q';
const FAST = { GRANTKEEPER_CONFIRM_RETRY_MS: '10', GRANTKEEPER_BACKOFF_BASE_MS: '50', GRANTKEEPER_BACKOFF_MAX_MS: '100', GRANTKEEPER_REVOCATION_POLL_INTERVAL_MS: '50' };
const BLOCKED_ANSWER = 'ip restricted by app developer';

let counter = 0;

describe.each(BACKENDS)('outbound proxy on %s', (backend: BackendKind) => {
  let emu: SalesforceEmulator;
  let open: TinyProxy;
  let authed: TinyProxy;
  let emuHostPort: string;

  beforeAll(async () => {
    emu = await startSalesforceEmulator({ port: 0 });
    emuHostPort = new URL(emu.url).host;
    open = await startTinyproxy();
    authed = await startTinyproxy({ basicAuth: { user: PROXY_USER, password: PROXY_PASSWORD } });
  });
  afterAll(async () => {
    await open?.stop();
    await authed?.stop();
    await emu?.close();
  });

  /** An emulator app enforcing the allowlist [127.0.0.2], and a Grantkeeper integration for it. */
  async function integration(server: TestServer, extra: Record<string, unknown> = {}): Promise<{ key: string; clientId: string; body: any }> {
    const n = ++counter;
    const clientId = `3MVG9egress${n}${Date.now()}`;
    const clientSecret = `egress-secret-${n}`;
    emu.createApp({ clientId, clientSecret, callbackUrls: [`${server.url}/oauth/callback`], rotation: true });
    emu.setRefreshTokenIpAllowlist(clientId, ['127.0.0.2']);
    const key = `egress-${n}`;
    const res = await server.api('POST', '/v1/integrations', { key, provider: 'salesforce', client_id: clientId, client_secret: clientSecret, auth_base_url: emu.url, ...extra });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return { key, clientId, body: res.body };
  }

  /** A grant the emulator issued (no HTTP: the allowlist does not see it), imported. */
  async function grant(server: TestServer, key: string, clientId: string): Promise<{ id: string; refreshToken: string }> {
    const username = `egress-user-${++counter}@example.com`;
    emu.createUser({ username });
    const tokens = emu.issueTokens({ clientId, username });
    const res = await server.api('POST', '/v1/connections', {
      integration: key,
      end_user: { id: username },
      credentials: { refresh_token: String(tokens.refresh_token), id_url: String(tokens.id), instance_url: String(tokens.instance_url) },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return { id: res.body.id, refreshToken: String(tokens.refresh_token) };
  }

  const lastTokenRequest = (clientId: string) => emu.requestLog({ endpoint: 'token' }).filter((e) => e.client_id === clientId).at(-1);
  const refreshEvents = async (server: TestServer, id: string) =>
    ((await server.api('GET', `/v1/connections/${id}/events?limit=100`)).body.data as any[]).filter((e) => e.type === 'refresh');

  /** The refresh was refused by the allowlist: Salesforce's answer, and the grant untouched at the emulator. */
  async function expectRefusedDirect(server: TestServer, id: string, clientId: string, refreshToken: string): Promise<void> {
    const res = await server.api('GET', `/v1/connections/${id}/token`);
    expect(res.status, JSON.stringify(res.body)).not.toBe(200);
    expect(lastTokenRequest(clientId)).toMatchObject({ source_ip: '127.0.0.1', status: 400, error: `invalid_grant/${BLOCKED_ANSWER}` });
    const events = await refreshEvents(server, id);
    expect(events[0]).toMatchObject({ http_status: 400, error: 'invalid_grant', error_description: BLOCKED_ANSWER });
    expect(emu.refreshTokenStatus(refreshToken).status).toBe('current');
  }

  async function expectRefreshedViaProxy(server: TestServer, id: string, clientId: string, proxy: TinyProxy): Promise<void> {
    const before = proxy.connects().length;
    const res = await server.api('GET', `/v1/connections/${id}/token`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(lastTokenRequest(clientId)).toMatchObject({ source_ip: '127.0.0.2', status: 200, grant_type: 'refresh_token' });
    expect(proxy.connects().slice(before)).toContain(emuHostPort);
  }

  describe('no instance proxy', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(backend, FAST, { logName: 'egress-direct' });
    });
    afterAll(async () => server?.stop());

    test('a direct refresh is refused by the allowlist; the integration\'s own proxy (with credentials) gets through', async () => {
      const plain = await integration(server);
      const a = await grant(server, plain.key, plain.clientId);
      await expectRefusedDirect(server, a.id, plain.clientId, a.refreshToken);

      const proxied = await integration(server, { outbound_proxy: authed.url });
      expect(proxied.body.outbound_proxy).toBe(`http://${PROXY_USER}:****@127.0.0.1:${authed.port}`);
      const b = await grant(server, proxied.key, proxied.clientId);
      await expectRefreshedViaProxy(server, b.id, proxied.clientId, authed);
      // Rotation went through the tunnel too: the stored grant is the emulator's current one.
      const row = await server.ctx.db.kysely.selectFrom('integrations').select(['outbound_proxy', 'outbound_proxy_enc']).where('key', '=', proxied.key).executeTakeFirstOrThrow();
      expect(row.outbound_proxy).toBe(proxied.body.outbound_proxy);
      expect(row.outbound_proxy_enc).not.toContain(PROXY_PASSWORD);
      expect((await server.api('GET', `/v1/integrations/${proxied.key}`)).body.outbound_proxy).toBe(proxied.body.outbound_proxy);

      // PATCH back the masked form it was shown: unchanged, still working. null clears it.
      const echoed = await server.api('PATCH', `/v1/integrations/${proxied.key}`, { outbound_proxy: proxied.body.outbound_proxy });
      expect(echoed.status).toBe(200);
      expect((await server.api('GET', `/v1/connections/${b.id}/token?force=true`)).status).toBe(200);
      expect(lastTokenRequest(proxied.clientId)).toMatchObject({ source_ip: '127.0.0.2', status: 200 });
      const cleared = await server.api('PATCH', `/v1/integrations/${proxied.key}`, { outbound_proxy: null });
      expect(cleared.body.outbound_proxy).toBeNull();
      expect((await server.api('GET', `/v1/connections/${b.id}/token?force=true`)).status).not.toBe(200);
      expect(lastTokenRequest(proxied.clientId)).toMatchObject({ source_ip: '127.0.0.1', status: 400 });
    });

    test("a deleted connection's grant is revoked through the integration's proxy", async () => {
      const it = await integration(server, { outbound_proxy: authed.url });
      const { id, refreshToken } = await grant(server, it.key, it.clientId);
      const revokesBefore = emu.requestLog({ endpoint: 'revoke' }).length;
      expect((await server.api('DELETE', `/v1/connections/${id}`)).status).toBe(204);
      await until('the revocation at the emulator', () => emu.refreshTokenStatus(refreshToken).status === 'revoked');
      const revokes = emu.requestLog({ endpoint: 'revoke' }).slice(revokesBefore);
      expect(revokes.map((e) => [e.source_ip, e.status])).toEqual([['127.0.0.2', 200]]);
    });

    test('wrong proxy credentials: a transient, classified failure that never touches the grant, and no credential in the log', async () => {
      const wrong = `http://${PROXY_USER}:not-the-password-9z@127.0.0.1:${authed.port}`;
      const it = await integration(server, { outbound_proxy: wrong });
      const { id, refreshToken } = await grant(server, it.key, it.clientId);
      const attemptsBefore = emu.stats().token_requests;
      const res = await server.api('GET', `/v1/connections/${id}/token`);
      expect(res.status).toBe(503);
      expect(emu.stats().token_requests).toBe(attemptsBefore);
      const [event] = await refreshEvents(server, id);
      expect(event).toMatchObject({ outcome: 'transient_error', http_status: null, error: null });
      expect(event.detail).toMatchObject({ class: 'transient', reason: 'outbound_proxy' });
      const connection = (await server.api('GET', `/v1/connections/${id}`)).body;
      expect(connection.status).not.toBe('needs_reauth');
      expect(emu.refreshTokenStatus(refreshToken).status).toBe('current');

      const log = readFileSync(server.logFile, 'utf8');
      const proxyLine = log.split('\n').find((l) => l.includes('outbound proxy failed'));
      expect(proxyLine).toBeDefined();
      // tinyproxy answers a CONNECT with wrong credentials 401 (none at all: 407).
      expect(JSON.parse(proxyLine!)).toMatchObject({ proxy: `127.0.0.1:${authed.port}`, proxy_status: 401 });
      expect(log).not.toContain('not-the-password-9z');
      expect(log).not.toContain(PROXY_PASSWORD);
      expect(authed.log()).not.toContain('not-the-password-9z');
    });

    test('the proxy down: transient, and the grant untouched', async () => {
      const dead = await freePort();
      const it = await integration(server, { outbound_proxy: `http://127.0.0.1:${dead}` });
      const { id, refreshToken } = await grant(server, it.key, it.clientId);
      const res = await server.api('GET', `/v1/connections/${id}/token`);
      expect(res.status).toBe(503);
      const [event] = await refreshEvents(server, id);
      expect(event.detail).toMatchObject({ class: 'transient', reason: 'outbound_proxy' });
      expect((await server.api('GET', `/v1/connections/${id}`)).body.status).not.toBe('needs_reauth');
      expect(emu.refreshTokenStatus(refreshToken).status).toBe('current');
    });

    test('bad outbound_proxy values are a 400 naming the field, never echoing the value, and change nothing', async () => {
      const it = await integration(server);
      for (const value of ['ftp://u:hunter2-secret@h:1', 'http://u:hunter2-secret@h', 'http://u:hunter2-secret@h:3128/path', 'not a url hunter2-secret', 'https://h:3128', 42]) {
        const res = await server.api('PATCH', `/v1/integrations/${it.key}`, { outbound_proxy: value });
        expect(res.status, String(value)).toBe(400);
        expect(res.headers.get('content-type')).toContain('application/problem+json');
        expect(JSON.stringify(res.body)).not.toContain('hunter2-secret');
        if (typeof value === 'string') expect(res.body.errors.map((e: any) => e.field)).toContain('outbound_proxy');
      }
      expect((await server.api('GET', `/v1/integrations/${it.key}`)).body.outbound_proxy).toBeNull();
    });

    test('keys rotate re-encrypts the stored proxy URL under the new primary key', async () => {
      const it = await integration(server, { outbound_proxy: authed.url });
      const read = () => server.ctx.db.kysely.selectFrom('integrations').selectAll().where('key', '=', it.key).executeTakeFirstOrThrow();
      const before = await read();
      const keyring = new Keyring([Keyring.generateKey('rotated'), ...server.ctx.keyring.keys]);
      await rotateKeys(server.ctx.db, keyring, { audit: cliAudit() });
      const after = await read();
      expect(keyIdOf(after.outbound_proxy_enc!)).toBe('rotated');
      expect(after.outbound_proxy_enc).not.toBe(before.outbound_proxy_enc);
      expect(integrationEgressOf(keyring, after)).toEqual({ kind: 'proxy', proxy: { host: '127.0.0.1', port: authed.port, username: PROXY_USER, password: PROXY_PASSWORD } });
      // Back under the server's own key, for the tests that follow on this database.
      await rotateKeys(server.ctx.db, new Keyring([...server.ctx.keyring.keys, keyring.primary]), { audit: cliAudit() });
      expect(keyIdOf((await read()).outbound_proxy_enc!)).toBe(server.ctx.keyring.primary.kid);
    });

    test('the CLI sets it (from stdin, keeping the password out of ps), shows it masked, and clears it', async () => {
      const it = await integration(server);
      const env = { GRANTKEEPER_URL: server.url, GRANTKEEPER_SECRET_KEY: server.key };
      const set = await runCli(['integrations', 'update', it.key, '--outbound-proxy', '-'], { env, input: `${authed.url}\n` });
      expect(set.code, set.stderr).toBe(0);
      expect(set.stdout).toMatch(new RegExp(`outbound proxy:?\\s+http://${PROXY_USER}:\\*\\*\\*\\*@127\\.0\\.0\\.1:${authed.port}`));
      expect(set.stdout + set.stderr).not.toContain(PROXY_PASSWORD);
      const cleared = await runCli(['integrations', 'update', it.key, '--outbound-proxy', 'inherit', '--json'], { env });
      expect(cleared.json().outbound_proxy).toBeNull();
    });

    test('/readyz shows the egress: direct by default, each integration that differs only to an API key', async () => {
      const it = await integration(server, { outbound_proxy: authed.url });
      const anonymous = await fetch(`${server.url}/readyz`).then((r) => r.json());
      expect(anonymous.egress).toEqual({ mode: 'direct', proxy: null, exclude: [] });
      const withKey = await server.api('GET', '/readyz');
      expect(withKey.body.egress.integrations).toContainEqual({ integration: it.key, mode: 'proxy', proxy: `127.0.0.1:${authed.port}`, source: 'integration' });
      expect(JSON.stringify(withKey.body)).not.toContain(PROXY_PASSWORD);
    });
  });

  describe('an instance proxy', () => {
    let database: TestDatabase;
    let server: TestServer;
    // One database, several servers in turn (each with other egress settings): one key to read it.
    const keys = { ...FAST, GRANTKEEPER_ENCRYPTION_KEYS: testEncryptionKeys() };
    beforeAll(async () => {
      database = await createTestDatabase(backend);
      server = await startTestServer(backend, { ...keys, GRANTKEEPER_OUTBOUND_PROXY: open.url, GRANTKEEPER_OUTBOUND_PROXY_EXCLUDE: 'internal.example' }, { database, logName: 'egress-instance' });
    });
    afterAll(async () => {
      await server?.stop();
      await database?.drop();
    });

    test('every refresh goes through it; an integration set to "direct" does not', async () => {
      const it = await integration(server);
      const { id } = await grant(server, it.key, it.clientId);
      await expectRefreshedViaProxy(server, id, it.clientId, open);

      const direct = await integration(server, { outbound_proxy: 'direct' });
      expect(direct.body.outbound_proxy).toBe('direct');
      const d = await grant(server, direct.key, direct.clientId);
      const before = open.connects().length;
      await expectRefusedDirect(server, d.id, direct.clientId, d.refreshToken);
      expect(open.connects().length).toBe(before);

      const ready = await server.api('GET', '/readyz');
      expect(ready.body.egress).toMatchObject({ mode: 'proxy', proxy: `127.0.0.1:${open.port}`, exclude: ['internal.example'] });
      expect(ready.body.egress.integrations).toEqual([{ integration: direct.key, mode: 'direct', proxy: null, source: 'integration' }]);
    });

    test('an excluded destination goes direct; and the address policy still refuses a private destination through the proxy', async () => {
      const it = await integration(server);
      const { id, refreshToken } = await grant(server, it.key, it.clientId);
      const connectsBefore = open.connects().length;
      await server.stop();

      // Excluded: the emulator's host bypasses the proxy, so the allowlist refuses the refresh.
      server = await startTestServer(backend, { ...keys, GRANTKEEPER_OUTBOUND_PROXY: open.url, GRANTKEEPER_OUTBOUND_PROXY_EXCLUDE: '127.0.0.0/8' }, { database, logName: 'egress-excluded' });
      await expectRefusedDirect(server, id, it.clientId, refreshToken);
      expect(open.connects().length).toBe(connectsBefore);
      await server.stop();

      // Private addresses not allowed: the destination (127.0.0.1) is refused before the proxy is asked.
      const second = await grant(await reopen({ ...keys, GRANTKEEPER_OUTBOUND_PROXY: open.url }), it.key, it.clientId);
      await server.stop();
      server = await startTestServer(backend, { ...keys, GRANTKEEPER_OUTBOUND_PROXY: open.url, GRANTKEEPER_ALLOW_PRIVATE_NETWORK: '10.0.0.0/8' }, { database, logName: 'egress-ssrf' });
      const requestsBefore = emu.stats().token_requests;
      const res = await server.api('GET', `/v1/connections/${second.id}/token`);
      expect(res.body.code).toBe('integration_error');
      const connection = (await server.api('GET', `/v1/connections/${second.id}`)).body;
      expect(connection.diagnosis).toMatchObject({ code: 'address_blocked', who_fixes: 'developer' });
      expect(open.connects().length).toBe(connectsBefore);
      expect(emu.stats().token_requests).toBe(requestsBefore);
    });

    async function reopen(env: Record<string, string>): Promise<TestServer> {
      server = await startTestServer(backend, env, { database, logName: 'egress-instance' });
      return server;
    }
  });
});

// The streaming form a later caller (the API proxy) uses: the request opened on the right
// agent after the destination check, the response read as a stream, a dead proxy explained.
describe('ProviderEgress.open through a real proxy', () => {
  test('streams a provider answer through the tunnel, and says when the proxy is the problem', async () => {
    const emu = await startSalesforceEmulator({ port: 0 });
    const proxy = await startTinyproxy();
    try {
      const parsed = parseProxyUrl(proxy.url);
      if (!parsed.ok) throw new Error(parsed.problem);
      const egress = new ProviderEgress({ allowPrivateNetwork: true }, { proxy: parsed.proxy, exclude: [] }, { timeoutMs: 10_000 });
      const opened = await egress.open(INHERIT_EGRESS, new URL(`${emu.url}/services/data`), { method: 'GET', headers: { accept: 'application/json' } });
      const answer = await new Promise<{ status: number; chunks: number; body: string }>((resolve, reject) => {
        opened.request.on('response', (res) => {
          let body = '';
          let chunks = 0;
          res.on('data', (chunk: Buffer) => {
            chunks++;
            body += chunk.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, chunks, body }));
        });
        opened.request.on('error', (error) => reject(opened.explain(error)));
        opened.request.end();
      });
      expect(answer.status).toBe(200);
      expect(answer.chunks).toBeGreaterThan(0);
      expect(JSON.parse(answer.body)).toEqual(expect.arrayContaining([expect.objectContaining({ version: expect.any(String) })]));
      expect(emu.requestLog().at(-1)).toMatchObject({ path: '/services/data', source_ip: '127.0.0.2' });
      egress.close();

      await proxy.stop();
      const down = new ProviderEgress({ allowPrivateNetwork: true }, { proxy: parsed.proxy, exclude: [] }, { timeoutMs: 10_000 });
      const failed = await down.open(INHERIT_EGRESS, new URL(`${emu.url}/services/data`), { method: 'GET', headers: {} });
      const error = await new Promise<Error>((resolve) => {
        failed.request.on('error', (e) => resolve(failed.explain(e)));
        failed.request.end();
      });
      expect(error).toBeInstanceOf(OutboundProxyError);
      expect(error.message).toBe(`outbound proxy 127.0.0.1:${proxy.port} unreachable: ECONNREFUSED`);
      down.close();
    } finally {
      await proxy.stop();
      await emu.close();
    }
  });
});
