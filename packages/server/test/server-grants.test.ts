// Server-to-server grants (JWT Bearer, Client Credentials) end to end: Grantkeeper over real
// HTTP against the Salesforce emulator, on both databases. Every scenario has its own
// emulator app and integration, so one integration's error never leaks into another test.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { startSalesforceEmulator, type SalesforceEmulator } from '@grantkeeper/salesforce-emulator';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BACKENDS } from './helpers/databases.js';
import { cliAudit } from '../src/audit/actors.js';
import { keyIdOf } from '../src/crypto/envelope.js';
import { Keyring } from '../src/crypto/keyring.js';
import { rotateKeys } from '../src/keys/rotate.js';
import { privateKeyPemOf } from '../src/model/private-keys.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { until } from './helpers/wait.js';

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

function rsaKey(bits = 2048): string {
  return generateKeyPairSync('rsa', { modulusLength: bits, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey;
}

describe.each(BACKENDS)('server-to-server grants on %s', (backend) => {
  let emu: SalesforceEmulator;
  let server: TestServer;
  const privateKey = rsaKey();
  let apps = 0;

  beforeAll(async () => {
    emu = await startSalesforceEmulator({ port: 0 });
    server = await startTestServer(
      backend,
      // Hour-long backoffs: no scheduled retry lands inside another test.
      { GRANTKEEPER_CONFIRM_RETRY_MS: '10', GRANTKEEPER_BACKOFF_BASE_MS: '3600000', GRANTKEEPER_BACKOFF_MAX_MS: '3600000' },
      { logName: 'server-grants' },
    );
  });
  afterAll(async () => {
    await server?.stop();
    await emu?.close();
  });

  const api = (method: string, path: string, body?: unknown) => server.api(method, path, body);
  const token = (id: string, query = '') => api('GET', `/v1/connections/${id}/token${query}`);

  /** An emulator app and its integration; `mints()` counts this app's successful token calls. */
  async function setup(kind: 'jwt_bearer' | 'client_credentials', options: { integration?: Record<string, unknown>; app?: Record<string, unknown> } = {}) {
    const n = ++apps;
    const clientId = `3MVG9s2s${n}${Date.now()}`;
    const clientSecret = `s2s-secret-${n}`;
    const orgUser = emu.createUser({ username: `run-as-${n}-${backend}@example.com`, permittedApps: [clientId] });
    const key = `s2s-${n}`;
    const created = await api('POST', '/v1/integrations', {
      key,
      provider: 'salesforce',
      client_id: clientId,
      grant_type: kind,
      auth_base_url: emu.url,
      ...(kind === 'jwt_bearer' ? { private_key: privateKey, jwt_audience: 'https://login.salesforce.com' } : { client_secret: clientSecret }),
      ...options.integration,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    emu.createApp({
      clientId,
      clientSecret,
      ...(kind === 'jwt_bearer' ? { jwtCertificate: created.body.public_key_pem } : { runAsUsername: orgUser.username }),
      ...options.app,
    });
    const grantType = kind === 'jwt_bearer' ? JWT_BEARER : 'client_credentials';
    const calls = () => emu.requestLog({ endpoint: 'token' }).filter((e) => e.client_id === clientId && e.grant_type === grantType);
    return { key, clientId, username: orgUser.username, integration: created.body, mints: () => calls().filter((e) => e.status === 200).length, calls: () => calls().length };
  }

  async function importS2s(key: string, credentials: Record<string, unknown>) {
    const imported = await api('POST', '/v1/connections', { integration: key, end_user: { id: `svc-${key}` }, credentials });
    expect(imported.status, JSON.stringify(imported.body)).toBe(201);
    return imported.body as { id: string; grant_type: string; subject: string | null };
  }

  const outbox = async (type: string) =>
    (await server.ctx.db.kysely.selectFrom('outbox').select(['type', 'payload']).where('type', '=', type).execute()) as { type: string; payload: any }[];

  test('jwt_bearer: the integration shows its public key, never the private one; a connection mints on demand and is served from memory', async () => {
    const s = await setup('jwt_bearer');
    expect(s.integration).toMatchObject({ grant_type: 'jwt_bearer', jwt_audience: 'https://login.salesforce.com', has_private_key: true });
    expect(s.integration.public_key_pem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(s.integration.public_key_fingerprint_sha256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(JSON.stringify(s.integration)).not.toContain('PRIVATE KEY');

    const conn = await importS2s(s.key, { subject: s.username });
    expect(conn).toMatchObject({ grant_type: 'jwt_bearer', subject: s.username });
    const first = await token(conn.id);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.access_token).toMatch(/^00D/);
    // Salesforce sends no expires_in: issued_at + the session timeout (7200 s), as for refreshes.
    const lifetimeS = (Date.parse(first.body.expires_at) - Date.now()) / 1000;
    expect(lifetimeS).toBeGreaterThan(7100);
    expect(lifetimeS).toBeLessThanOrEqual(7200);
    expect((await token(conn.id)).body.access_token).toBe(first.body.access_token);
    expect(s.mints()).toBe(1);
    const shown = (await api('GET', `/v1/connections/${conn.id}`)).body;
    expect(shown).toMatchObject({ status: 'active', grant_type: 'jwt_bearer', subject: s.username });
    // The dashboard shows the grant kind and the public key, never the private one.
    const login = await fetch(`${server.url}/ui/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: server.key }) });
    expect(login.status).toBe(204);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const integrationPage = await (await fetch(`${server.url}/ui/integrations/${s.key}`, { headers: { cookie } })).text();
    expect(integrationPage).toContain('jwt_bearer');
    expect(integrationPage).toContain(s.integration.public_key_fingerprint_sha256);
    expect(integrationPage).not.toContain('PRIVATE KEY');
    const connectionPage = await (await fetch(`${server.url}/ui/connections/${conn.id}`, { headers: { cookie } })).text();
    expect(connectionPage).toMatch(/Grant type<\/dt><dd><code data-grant-type>jwt_bearer/);
    expect(connectionPage).toContain(s.username);
    const listPage = await (await fetch(`${server.url}/ui/integrations`, { headers: { cookie } })).text();
    expect(listPage).toMatch(/data-label="Grant"><code>jwt_bearer/);
    // The 2026 refresh-token requirements do not apply to a grant without a refresh token.
    const readiness = (await api('GET', `/v1/integrations/${s.key}/readiness`)).body;
    for (const id of ['pkce', 'rotation', 'idle_limit']) {
      expect(readiness.checks.find((c: { id: string }) => c.id === id)).toMatchObject({ status: 'pass', detail: expect.stringContaining('Does not apply') });
    }
  });

  test('jwt_bearer: 20 concurrent forced reads make one mint', async () => {
    const s = await setup('jwt_bearer');
    const conn = await importS2s(s.key, { subject: s.username });
    expect((await token(conn.id)).status).toBe(200);
    emu.setLatency(1000);
    try {
      const results = await Promise.all(Array.from({ length: 20 }, () => token(conn.id, '?force=true')));
      expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
      expect(new Set(results.map((r) => r.body.access_token)).size).toBe(1);
    } finally {
      emu.setLatency(0);
    }
    expect(s.mints()).toBe(2);
  });

  test('client_credentials: import with {} mints as the run-as user; 20 concurrent forced reads make one mint', async () => {
    const s = await setup('client_credentials');
    expect(s.integration).toMatchObject({ grant_type: 'client_credentials', has_private_key: false, public_key_pem: null });
    const conn = await importS2s(s.key, {});
    expect(conn).toMatchObject({ grant_type: 'client_credentials', subject: null });
    const first = await token(conn.id);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const runAs = emu.getUser(s.username)!;
    expect((await api('GET', `/v1/connections/${conn.id}`)).body.provider_account.user_id).toBe(runAs.user_id);
    emu.setLatency(1000);
    try {
      const results = await Promise.all(Array.from({ length: 20 }, () => token(conn.id, '?force=true')));
      expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
      expect(new Set(results.map((r) => r.body.access_token)).size).toBe(1);
    } finally {
      emu.setLatency(0);
    }
    expect(s.mints()).toBe(2);
  });

  test("jwt_bearer: a user not pre-authorized → needs_reauth, not_approved (org admin), connection.reauth_required; recovers once approved", async () => {
    const s = await setup('jwt_bearer');
    const stranger = emu.createUser({ username: `stranger-${s.clientId}@example.com` });
    const conn = await importS2s(s.key, { subject: stranger.username });
    const refused = await token(conn.id);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('reauth_required');
    const shown = (await api('GET', `/v1/connections/${conn.id}`)).body;
    expect(shown.status).toBe('needs_reauth');
    expect(shown.diagnosis).toMatchObject({ code: 'not_approved', who_fixes: 'org_admin', confidence: 'certain' });
    expect(shown.last_error).toMatchObject({ error: 'invalid_grant', error_description: "user hasn't approved this consumer" });
    const events = await outbox('connection.reauth_required');
    expect(events.some((e) => e.payload.data.connection.id === conn.id && e.payload.data.diagnosis.code === 'not_approved')).toBe(true);

    // Its reconnect link has no login to offer: the fix is the org admin's.
    const link = new URL(events.find((e) => e.payload.data.connection.id === conn.id)!.payload.data.reconnect_url);
    const reconnect = await fetch(`${server.url}${link.pathname}${link.search}`);
    expect(reconnect.status).toBe(409);
    expect(await reconnect.text()).toContain('server-to-server');

    emu.setPermitted(stranger.user_id, s.clientId, true);
    const retried = await api('POST', `/v1/connections/${conn.id}/refresh`);
    expect(retried.status, JSON.stringify(retried.body)).toBe(200);
    expect((await api('GET', `/v1/connections/${conn.id}`)).body.status).toBe('active');
  });

  test('client_credentials: no run-as user → integration error, client_credentials_disabled (developer), integration.error webhook', async () => {
    const s = await setup('client_credentials', { app: { runAsUsername: null } });
    const conn = await importS2s(s.key, {});
    const refused = await token(conn.id);
    expect(refused.status).toBe(409);
    const shown = (await api('GET', `/v1/connections/${conn.id}`)).body;
    expect(shown.status).toBe('integration_error');
    expect(shown.diagnosis).toMatchObject({ code: 'client_credentials_disabled', who_fixes: 'developer' });
    expect((await api('GET', `/v1/integrations/${s.key}`)).body.status).toBe('error');
    const events = await outbox('integration.error');
    expect(events.some((e) => e.payload.data.integration.key === s.key && e.payload.data.last_error.error_description === 'no client credentials user enabled')).toBe(true);
  });

  test('jwt_bearer: a certificate that is not of the key, or a wrong audience → integration error, assertion_rejected (developer)', async () => {
    const other = rsaKey();
    const wrongCert = await setup('jwt_bearer', { app: { jwtCertificate: null } });
    emu.updateApp(wrongCert.clientId, { jwtCertificate: (await import('node:crypto')).createPublicKey(other).export({ type: 'spki', format: 'pem' }).toString() });
    const audience = await setup('jwt_bearer', { integration: { jwt_audience: 'https://example.com' } });
    for (const [s, description] of [[wrongCert, 'invalid assertion'], [audience, 'audience is invalid']] as const) {
      const conn = await importS2s(s.key, { subject: s.username });
      expect((await token(conn.id)).status).toBe(409);
      const shown = (await api('GET', `/v1/connections/${conn.id}`)).body;
      expect(shown.status).toBe('integration_error');
      expect(shown.diagnosis).toMatchObject({ code: 'assertion_rejected', who_fixes: 'developer' });
      expect(shown.last_error.error_description).toBe(description);
      const events = await outbox('integration.error');
      expect(events.some((e) => e.payload.data.integration.key === s.key)).toBe(true);
    }
  });

  test('bad input is a 400 naming the field', async () => {
    const base = { provider: 'salesforce', client_id: '3MVG9bad', auth_base_url: emu.url };
    const cases: [Record<string, unknown>, string][] = [
      [{ key: 'bad-1', grant_type: 'jwt_bearer', jwt_audience: 'https://login.salesforce.com' }, 'private_key'],
      [{ key: 'bad-2', grant_type: 'jwt_bearer', private_key: privateKey }, 'jwt_audience'],
      [{ key: 'bad-3', grant_type: 'jwt_bearer', private_key: 'not a key', jwt_audience: 'https://login.salesforce.com' }, 'private_key'],
      [{ key: 'bad-4', grant_type: 'jwt_bearer', private_key: rsaKey(1024), jwt_audience: 'https://login.salesforce.com' }, 'private_key'],
      [{ key: 'bad-5', grant_type: 'client_credentials', client_secret: 'x', auth_base_url: 'https://login.salesforce.com' }, 'auth_base_url'],
      [{ key: 'bad-6', grant_type: 'client_credentials', client_secret: 'x', auth_base_url: 'https://test.salesforce.com' }, 'auth_base_url'],
      [{ key: 'bad-7', client_auth: 'private_key_jwt', private_key: privateKey, client_secret: 'x' }, 'client_auth'],
      [{ key: 'bad-8', client_secret: 'x', private_key: privateKey }, 'private_key'],
    ];
    for (const [body, field] of cases) {
      const res = await api('POST', '/v1/integrations', { ...base, ...body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(JSON.stringify(res.body.errors ?? res.body)).toContain(field);
    }
    const jwt = await setup('jwt_bearer');
    const cc = await setup('client_credentials');
    const imports: [string, Record<string, unknown>, string][] = [
      [jwt.key, {}, 'credentials.subject'],
      [jwt.key, { subject: 'a@b.c', refresh_token: 'x' }, 'credentials.refresh_token'],
      [cc.key, { refresh_token: 'x' }, 'credentials.refresh_token'],
      [cc.key, { subject: 'a@b.c' }, 'credentials.subject'],
    ];
    for (const [key, credentials, field] of imports) {
      const res = await api('POST', '/v1/connections', { integration: key, end_user: { id: 'u' }, credentials });
      expect(res.status, JSON.stringify(credentials)).toBe(400);
      expect(JSON.stringify(res.body)).toContain(field);
    }
    // The grant type cannot change under connections that hold what it needs.
    await importS2s(cc.key, {});
    const changed = await api('PATCH', `/v1/integrations/${cc.key}`, { grant_type: 'authorization_code' });
    expect(changed.status).toBe(409);
  });

  test('generic OAuth 2.0: client_credentials with private_key_jwt, and jwt_bearer, against a custom oauth2 provider', async () => {
    const n = ++apps;
    const clientId = `generic-s2s-${n}-${backend}`;
    const runAs = emu.createUser({ username: `generic-run-as-${n}-${backend}@example.com`, permittedApps: [clientId] });
    const endpoints = { provider: 'oauth2', client_id: clientId, authorization_url: `${emu.url}/oauth2/authorize`, token_url: `${emu.url}/oauth2/token` };
    const cc = await api('POST', '/v1/integrations', { key: `generic-cc-${n}`, ...endpoints, grant_type: 'client_credentials', client_auth: 'private_key_jwt', private_key: privateKey });
    expect(cc.status, JSON.stringify(cc.body)).toBe(201);
    expect(cc.body.client_auth).toBe('private_key_jwt');
    emu.createApp({ clientId, mode: 'generic', clientSecret: 'unused-secret', jwtCertificate: cc.body.public_key_pem, runAsUsername: runAs.username });
    const ccConn = await importS2s(`generic-cc-${n}`, {});
    const minted = await token(ccConn.id);
    expect(minted.status, JSON.stringify(minted.body)).toBe(200);
    const ccCall = emu.requestLog({ endpoint: 'token' }).filter((e) => e.client_id === clientId && e.grant_type === 'client_credentials');
    expect(ccCall.map((e) => e.status)).toEqual([200]);
    // The secret never went out: the client authenticated with a signed assertion.
    expect(ccCall[0]!.client_auth).toBe('private_key_jwt');

    const jwt = await api('POST', '/v1/integrations', { key: `generic-jwt-${n}`, ...endpoints, grant_type: 'jwt_bearer', private_key: privateKey, jwt_audience: emu.url });
    expect(jwt.status, JSON.stringify(jwt.body)).toBe(201);
    const jwtConn = await importS2s(`generic-jwt-${n}`, { subject: runAs.username });
    const jwtToken = await token(jwtConn.id);
    expect(jwtToken.status, JSON.stringify(jwtToken.body)).toBe(200);
    expect(jwtToken.body.access_token).not.toBe(minted.body.access_token);
  });

  test('the catalog decides which providers take which grant and client authentication', async () => {
    const create = (body: Record<string, unknown>) => api('POST', '/v1/integrations', { client_id: 'id', client_secret: 'secret', ...body });
    // Documented (cited in the entries): Auth0 client_credentials with private_key_jwt.
    expect((await create({ key: 'cat-auth0', provider: 'auth0', grant_type: 'client_credentials', client_auth: 'private_key_jwt', private_key: privateKey })).status).toBe(201);
    const google = await create({ key: 'cat-google', provider: 'google', grant_type: 'client_credentials' });
    expect(google.status).toBe(400);
    expect(JSON.stringify(google.body.errors)).toContain('grant_type');
    // Off again with null (the provider's default), on again with the stored key.
    const off = await api('PATCH', '/v1/integrations/cat-auth0', { client_auth: null });
    expect(off.status, JSON.stringify(off.body)).toBe(200);
    expect(off.body.client_auth).toBeUndefined();
    expect(off.body.has_private_key).toBe(true);
    expect((await api('PATCH', '/v1/integrations/cat-auth0', { client_auth: 'private_key_jwt' })).body.client_auth).toBe('private_key_jwt');
    // A catalog provider never takes body/basic: its method comes from the catalog.
    expect((await api('PATCH', '/v1/integrations/cat-auth0', { client_auth: 'basic' })).status).toBe(400);
    // A custom provider goes back to body or basic.
    const custom = await create({ key: 'cat-custom', provider: 'oauth2', authorization_url: 'https://auth.example.com/a', token_url: 'https://auth.example.com/t', client_auth: 'private_key_jwt', private_key: privateKey });
    expect(custom.status, JSON.stringify(custom.body)).toBe(201);
    expect(custom.body.client_auth).toBe('private_key_jwt');
    const basic = await api('PATCH', '/v1/integrations/cat-custom', { client_auth: 'basic' });
    expect(basic.body.client_auth).toBe('basic');
    expect((await api('PATCH', '/v1/integrations/cat-custom', { token_url: 'https://auth.example.com/t2' })).body.client_auth).toBe('basic');
    const paypal = await create({ key: 'cat-paypal', provider: 'paypal', grant_type: 'client_credentials', client_auth: 'private_key_jwt', private_key: privateKey });
    expect(paypal.status).toBe(400);
    expect(JSON.stringify(paypal.body.errors)).toContain('client_auth');
  });

  test('keys rotate re-encrypts the private key under the new primary key, and it still signs', async () => {
    const s = await setup('jwt_bearer');
    const read = () => server.ctx.db.kysely.selectFrom('integrations').selectAll().where('key', '=', s.key).executeTakeFirstOrThrow();
    const before = await read();
    const keyring = new Keyring([Keyring.generateKey('rotated'), ...server.ctx.keyring.keys]);
    await rotateKeys(server.ctx.db, keyring, { audit: cliAudit() });
    const after = await read();
    expect(keyIdOf(after.private_key_enc!)).toBe('rotated');
    expect(after.private_key_enc).not.toBe(before.private_key_enc);
    expect(privateKeyPemOf(keyring, after)).toBe(privateKey.trim());
    // Back under the server's own key; the server mints with it as before.
    await rotateKeys(server.ctx.db, new Keyring([...server.ctx.keyring.keys, keyring.primary]), { audit: cliAudit() });
    expect(keyIdOf((await read()).private_key_enc!)).toBe(server.ctx.keyring.primary.kid);
    const conn = await importS2s(s.key, { subject: s.username });
    expect((await token(conn.id)).status).toBe(200);
  });

  /** PGlite's data directory after a checkpoint, so every row is in it and not only in memory. */
  async function pgliteDump(): Promise<string> {
    await server.database.pglite!.exec('CHECKPOINT');
    return Buffer.from(await (await server.database.pglite!.dumpDataDir('none')).arrayBuffer()).toString('latin1');
  }

  test('the private key never appears in a response, a log line, an audit row, the outbox or the stored row', async () => {
    const s = await setup('jwt_bearer');
    const conn = await importS2s(s.key, { subject: s.username });
    expect((await token(conn.id)).status).toBe(200);
    await api('PATCH', `/v1/integrations/${s.key}`, { private_key: privateKey });
    const body = privateKey.split('\n').filter((l) => l && !l.startsWith('-----'));
    const marker = body[3]!; // a line from the middle of the key's base64
    const responses = [await api('GET', '/v1/integrations'), await api('GET', `/v1/integrations/${s.key}`), await api('GET', `/v1/connections/${conn.id}`)];
    for (const r of responses) expect(JSON.stringify(r.body)).not.toContain(marker);
    const audit = await server.ctx.db.kysely.selectFrom('audit_events').selectAll().execute();
    expect(JSON.stringify(audit)).not.toContain(marker);
    expect(JSON.stringify(await server.ctx.db.kysely.selectFrom('outbox').selectAll().execute())).not.toContain(marker);
    const row = await server.ctx.db.kysely.selectFrom('integrations').selectAll().where('key', '=', s.key).executeTakeFirstOrThrow();
    expect(row.private_key_enc).not.toBeNull();
    expect(JSON.stringify(row)).not.toContain(marker);
    expect(readFileSync(server.logFile, 'utf8')).not.toContain(marker);
    // A raw dump of the whole database (pg_dump, or PGlite's data directory) holds it only encrypted.
    const dump = server.database.url
      ? execFileSync('pg_dump', ['--no-owner', server.database.url], { maxBuffer: 256 * 1024 * 1024 }).toString('latin1')
      : await pgliteDump();
    expect(dump).toContain(s.clientId);
    expect(dump.includes(marker)).toBe(false);
  });
});

describe.each(BACKENDS)('server-to-server grants kept warm by the scheduler on %s', (backend) => {
  let emu: SalesforceEmulator;
  let server: TestServer;
  beforeAll(async () => {
    emu = await startSalesforceEmulator({ port: 0 });
    server = await startTestServer(backend, { GRANTKEEPER_SCHEDULER_INTERVAL_MS: '100' }, { logName: 'server-grants-warm' });
  });
  afterAll(async () => {
    await server?.stop();
    await emu?.close();
  });

  test('client_credentials with keep_warm: minted by the scheduler with no caller, next mint planned before expiry', async () => {
    const clientId = `3MVG9warm${backend}${Date.now()}`;
    const runAs = emu.createUser({ username: `warm-${backend}@example.com` });
    emu.createApp({ clientId, clientSecret: 'warm-secret', runAsUsername: runAs.username });
    const created = await server.api('POST', '/v1/integrations', {
      key: 'warm', provider: 'salesforce', client_id: clientId, client_secret: 'warm-secret', grant_type: 'client_credentials', auth_base_url: emu.url,
      refresh: { keep_warm: true, margin_s: 600, access_token_ttl_s: 3600 },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const imported = await server.api('POST', '/v1/connections', { integration: 'warm', end_user: { id: 'svc' }, credentials: {} });
    expect(imported.status).toBe(201);
    const mints = () => emu.requestLog({ endpoint: 'token' }).filter((e) => e.client_id === clientId && e.status === 200).length;
    await until('the scheduler mints', () => mints() === 1);
    const shown = await until('the mint is stored', async () => {
      const body = (await server.api('GET', `/v1/connections/${imported.body.id}`)).body;
      return body.access_token_expires_at ? body : null;
    });
    expect(shown.status).toBe('active');
    const events = (await server.api('GET', `/v1/connections/${imported.body.id}/events`)).body.data;
    expect(events[0]).toMatchObject({ type: 'refresh', trigger: 'scheduled', outcome: 'success' });
    // Kept warm: the next mint is due before the token expires (expiry minus the margin, at most).
    expect(Date.parse(shown.next_refresh_at)).toBeLessThanOrEqual(Date.parse(shown.access_token_expires_at) - 600_000 + 1000);
    expect(mints()).toBe(1);
  });
});
