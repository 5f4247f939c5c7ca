// POST /v1/integrations/{key}/certificate end to end, on both databases: the server signs a
// self-signed certificate with the integration's stored key; uploaded to the Salesforce
// emulator's app, it verifies the JWT Bearer assertions Grantkeeper signs, and a token mints.
// The private key appears in no answer, audit row or log line.
import { X509Certificate, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { startSalesforceEmulator, type SalesforceEmulator } from '@grantkeeper/salesforce-emulator';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BACKENDS } from './helpers/databases.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey;
/** The base64 body of the private key: what a leak would contain even without the PEM header. */
const keyBody = privateKey.split('\n').slice(1, 3).join('');

describe.each(BACKENDS)('integration certificate on %s', (backend) => {
  let emu: SalesforceEmulator;
  let server: TestServer;

  beforeAll(async () => {
    emu = await startSalesforceEmulator({ port: 0 });
    server = await startTestServer(backend, {}, { logName: 'integration-certificate' });
  });
  afterAll(async () => {
    await server?.stop();
    await emu?.close();
  });

  const api = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => server.api(method, path, body, headers);

  async function createJwtIntegration(key: string, clientId: string) {
    const created = await api('POST', '/v1/integrations', {
      key,
      provider: 'salesforce',
      client_id: clientId,
      grant_type: 'jwt_bearer',
      auth_base_url: emu.url,
      private_key: privateKey,
      jwt_audience: 'https://login.salesforce.com',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body as { public_key_pem: string; public_key_fingerprint_sha256: string };
  }

  test('the certificate verifies against the key, is accepted by the emulator, and a connection mints with it', async () => {
    const clientId = `3MVG9cert${backend}${Date.now()}`;
    const integration = await createJwtIntegration('sf-cert', clientId);

    const before = Date.now();
    const issued = await api('POST', '/v1/integrations/sf-cert/certificate', { days: 90 });
    expect(issued.status, JSON.stringify(issued.body)).toBe(200);
    expect(Object.keys(issued.body).sort()).toEqual(['certificate_pem', 'fingerprint_sha256', 'not_after', 'not_before', 'public_key_fingerprint_sha256']);
    const cert = new X509Certificate(issued.body.certificate_pem);
    expect(cert.verify(createPublicKey(integration.public_key_pem))).toBe(true);
    expect(cert.subject).toBe('CN=Grantkeeper sf-cert');
    expect(cert.fingerprint256).toBe(issued.body.fingerprint_sha256);
    expect(issued.body.public_key_fingerprint_sha256).toBe(integration.public_key_fingerprint_sha256);
    expect(Date.parse(cert.validFrom)).toBe(Date.parse(issued.body.not_before));
    expect(Date.parse(cert.validTo)).toBe(Date.parse(issued.body.not_after));
    expect(Date.parse(issued.body.not_after) - Date.parse(issued.body.not_before)).toBe(90 * 86_400_000);
    expect(Date.parse(issued.body.not_before)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);

    // Uploaded as the app's certificate, it verifies Grantkeeper's assertions.
    const user = emu.createUser({ username: `cert-${backend}@example.com`, permittedApps: [clientId] });
    emu.createApp({ clientId, jwtCertificate: issued.body.certificate_pem });
    const conn = await api('POST', '/v1/connections', { integration: 'sf-cert', end_user: { id: 'svc-cert' }, credentials: { subject: user.username } });
    expect(conn.status, JSON.stringify(conn.body)).toBe(201);
    const token = await api('GET', `/v1/connections/${conn.body.id}/token`);
    expect(token.status, JSON.stringify(token.body)).toBe(200);
    expect(token.body.access_token).toMatch(/^00D/);

    // Defaults: 730 days, an empty body or none at all.
    for (const body of [{}, undefined]) {
      const again = await api('POST', '/v1/integrations/sf-cert/certificate', body);
      expect(again.status, JSON.stringify(again.body)).toBe(200);
      expect(Date.parse(again.body.not_after) - Date.parse(again.body.not_before)).toBe(730 * 86_400_000);
      expect(again.body.fingerprint_sha256).not.toBe(issued.body.fingerprint_sha256);
    }
    const named = await api('POST', '/v1/integrations/sf-cert/certificate', { common_name: 'Acme JWT', days: 1 });
    expect(new X509Certificate(named.body.certificate_pem).subject).toBe('CN=Acme JWT');

    // Audited, with the certificate's fingerprint and never the key.
    const rows = await server.ctx.db.kysely.selectFrom('audit_events').selectAll().where('action', '=', 'integration.certificate_issued').where('target_id', '=', 'sf-cert').execute();
    expect(rows).toHaveLength(4);
    expect(rows.map((r) => (typeof r.detail === 'string' ? JSON.parse(r.detail) : r.detail).fingerprint_sha256)).toContain(issued.body.fingerprint_sha256);
    for (const text of [JSON.stringify(rows), JSON.stringify(issued.body), readFileSync(server.logFile, 'utf8')]) {
      expect(text).not.toContain('PRIVATE KEY');
      expect(text).not.toContain(keyBody);
    }
  });

  test('the dashboard\'s "Download certificate" posts with the CSRF token and answers a .crt file', async () => {
    const clientId = `3MVG9ui${backend}${Date.now()}`;
    const integration = await createJwtIntegration('sf-cert-ui', clientId);
    const login = await fetch(`${server.url}/ui/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: server.key }) });
    expect(login.status).toBe(204);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const pageHtml = await (await fetch(`${server.url}/ui/integrations/sf-cert-ui`, { headers: { cookie } })).text();
    expect(pageHtml).toContain('action="/ui/integrations/sf-cert-ui/certificate"');
    expect(pageHtml).toContain('Download certificate');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(pageHtml)![1]!;
    const post = (token: string) =>
      fetch(`${server.url}/ui/integrations/sf-cert-ui/certificate`, { method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: token }).toString() });
    expect((await post('wrong')).status).toBe(403);
    const download = await post(csrf);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toBe('attachment; filename="sf-cert-ui.crt"');
    const pem = await download.text();
    expect(pem).not.toContain('PRIVATE KEY');
    expect(new X509Certificate(pem).verify(createPublicKey(integration.public_key_pem))).toBe(true);
  });

  test('bad input and missing keys are problem+json, never 5xx', async () => {
    const noKey = await api('POST', '/v1/integrations', { key: 'sf-secret', provider: 'salesforce', client_id: 'c', client_secret: 's' });
    expect(noKey.status, JSON.stringify(noKey.body)).toBe(201);
    const refused = await api('POST', '/v1/integrations/sf-secret/certificate', {});
    expect(refused.status).toBe(409);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.body.code).toBe('integration_has_no_private_key');

    expect((await api('POST', '/v1/integrations/nope/certificate', {})).status).toBe(404);
    await createJwtIntegration('sf-cert-bad', 'c2');
    for (const body of [{ days: 0 }, { days: 3651 }, { days: 1.5 }, { common_name: '' }, { common_name: 'x'.repeat(65) }, { other: 1 }, '[1]']) {
      const bad = await api('POST', '/v1/integrations/sf-cert-bad/certificate', body);
      expect(bad.status, JSON.stringify(body)).toBe(400);
      expect(bad.headers.get('content-type')).toContain('application/problem+json');
    }
  });

  test('scope integrations:write; a key limited to other integrations sees a 404', async () => {
    const mint = async (body: Record<string, unknown>) => {
      const res = await api('POST', '/v1/api-keys', { name: `k${Math.random()}`, ...body });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body.secret as string;
    };
    const reader = await mint({ scopes: ['connections:read'] });
    const limited = await mint({ scopes: ['integrations:write'], integrations: ['other'] });
    const allowed = await mint({ scopes: ['integrations:write'], integrations: ['sf-cert-bad'] });
    const as = (secret: string) => ({ authorization: `Bearer ${secret}` });
    expect((await api('POST', '/v1/integrations/sf-cert-bad/certificate', {}, as(reader))).status).toBe(403);
    const hidden = await api('POST', '/v1/integrations/sf-cert-bad/certificate', {}, as(limited));
    expect(hidden.status).toBe(404);
    expect(hidden.body.detail).toBe((await api('POST', '/v1/integrations/unknown-one/certificate', {}, as(limited))).body.detail.replace('unknown-one', 'sf-cert-bad'));
    expect((await api('POST', '/v1/integrations/sf-cert-bad/certificate', {}, as(allowed))).status).toBe(200);
  });
});
