// The CLI for server-to-server grants, run as the built binary against a real server and the
// emulator: create a JWT Bearer integration from a key file, print its public key and the
// server-signed certificate, which is uploaded to the emulator, and a connection imported from
// a JSON file mints with it.
import { execFileSync } from 'node:child_process';
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSalesforceRig, type SalesforceRig } from './helpers/salesforce.js';
import { runCli, type CliOptions } from './cli-run.js';

let rig: SalesforceRig;
let env: Record<string, string>;
const dir = mkdtempSync(join(tmpdir(), 'gk-cli-s2s-'));
const gk = (args: string[], options: CliOptions = {}) => runCli(args, { ...options, env: { ...env, ...options.env } });

beforeAll(async () => {
  rig = await startSalesforceRig('pglite', { logName: 'cli-s2s' });
  env = { GRANTKEEPER_URL: rig.server.url, GRANTKEEPER_SECRET_KEY: rig.server.key, NO_COLOR: '1' };
});
afterAll(async () => {
  await rig?.stop();
});

describe('grantkeeper integrations certificate', () => {
  it('create --grant-type jwt_bearer --private-key FILE, then certificate --out FILE makes a certificate the provider accepts', async () => {
    const keyFile = join(dir, 'key.pem');
    writeFileSync(keyFile, generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey);
    const clientId = `3MVG9cli${Date.now()}`;
    const created = await gk(['integrations', 'create', 'cli-jwt', '--provider', 'salesforce', '--client-id', clientId, '--grant-type', 'jwt_bearer', '--private-key', keyFile, '--jwt-audience', 'https://login.salesforce.com', '--auth-base-url', rig.emu.url, '--json']);
    expect(created.code, created.stderr).toBe(0);
    const integration = created.json();
    expect(integration.grant_type).toBe('jwt_bearer');
    expect(created.stdout).not.toContain('PRIVATE KEY');

    const shown = await gk(['integrations', 'show', 'cli-jwt']);
    expect(shown.stdout).toMatch(/grant type:\s+jwt_bearer/);
    expect(shown.stdout).toContain(integration.public_key_fingerprint_sha256);
    const listed = await gk(['integrations', 'list']);
    expect(listed.stdout).toMatch(/^cli-jwt\s+salesforce\s.*jwt_bearer$/m);

    const printed = await gk(['integrations', 'certificate', 'cli-jwt']);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
    expect(printed.stderr).toContain('Use digital signatures');
    expect(printed.stderr).toContain(integration.public_key_fingerprint_sha256);
    expect(new X509Certificate(printed.stdout).subject).toBe('CN=Grantkeeper cli-jwt');

    const crtFile = join(dir, 'cli-jwt.crt');
    const written = await gk(['integrations', 'certificate', 'cli-jwt', '--days', '30', '--common-name', 'cli test', '--out', crtFile]);
    expect(written.code, written.stderr).toBe(0);
    expect(written.stdout).toBe('');
    expect(written.stderr).toContain(crtFile);
    const crt = new X509Certificate(readFileSync(crtFile));
    expect(crt.subject).toBe('CN=cli test');
    expect(Date.parse(crt.validTo) - Date.parse(crt.validFrom)).toBe(30 * 86_400_000);
    // openssl agrees the certificate's key is the one Grantkeeper shows.
    const spki = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'DER'], { input: execFileSync('openssl', ['x509', '-in', crtFile, '-pubkey', '-noout']) });
    const digest = execFileSync('openssl', ['dgst', '-sha256', '-hex'], { input: spki }).toString().trim().split(/\s+/).pop()!;
    expect(digest.toUpperCase().match(/../g)!.join(':')).toBe(integration.public_key_fingerprint_sha256);
    const json = (await gk(['integrations', 'certificate', 'cli-jwt', '--json'])).json();
    expect(json).toMatchObject({ public_key_fingerprint_sha256: integration.public_key_fingerprint_sha256 });
    expect(json.certificate_pem).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(JSON.stringify(json)).not.toContain('PRIVATE KEY');
    expect((await gk(['integrations', 'certificate', 'cli-jwt', '--days', '0'])).code).not.toBe(0);

    // Uploaded to the app, the certificate verifies Grantkeeper's assertions.
    const user = rig.user();
    rig.emu.createApp({ clientId, jwtCertificate: readFileSync(crtFile, 'utf8') });
    rig.emu.setPermitted(user.userId, clientId, true);
    const file = join(dir, 'jwt.json');
    writeFileSync(file, JSON.stringify([{ integration: 'cli-jwt', end_user: { id: 'svc' }, credentials: { subject: user.username } }]));
    const imported = await gk(['import', file, '--verify', '--json']);
    expect(imported.code, imported.stdout + imported.stderr).toBe(0);
    const list = (await rig.server.api('GET', '/v1/connections?integration=cli-jwt')).body.data;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ status: 'active', grant_type: 'jwt_bearer', subject: user.username });
  });

  it('an integration without a key: says how to set one, exit code 1', async () => {
    const r = await gk(['integrations', 'certificate', rig.integrationKey]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('--private-key');
    expect(r.stderr).toContain('integration_has_no_private_key');
  });
});
