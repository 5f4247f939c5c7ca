// `grantkeeper api-keys create|list|revoke`, run as the built binary against a real server
// (in-process, PGlite): the secret printed once and alone on stdout, the table and --json,
// revocation effective at once, and the errors a user meets (usage, 403, 404, 409).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliOptions } from './cli-run.js';
import { startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let env: Record<string, string>;
const gk = (args: string[], options: CliOptions = {}) => runCli(args, { ...options, env: { ...env, ...options.env } });

beforeAll(async () => {
  server = await startTestServer('pglite', {}, { logName: 'cli-api-keys' });
  expect((await server.api('POST', '/v1/integrations', { key: 'crm', provider: 'salesforce', client_id: 'c', client_secret: 's' })).status).toBe(201);
  env = { GRANTKEEPER_URL: server.url, GRANTKEEPER_SECRET_KEY: server.key, NO_COLOR: '1' };
});
afterAll(async () => {
  await server?.stop();
});

const status = async (key: string, path = '/v1/connections') => (await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${key}` } })).status;

describe('grantkeeper api-keys', () => {
  it('prints its usage with examples', async () => {
    const r = await gk(['api-keys', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: grantkeeper api-keys <create\|list\|revoke>/);
    expect(r.stdout).toMatch(/Examples:/);
    const top = await gk(['--help']);
    expect(top.stdout).toMatch(/api-keys create\|list\|revoke/);
  });

  it('create prints the secret once, alone on stdout; the key works with exactly its scopes and integrations', async () => {
    const r = await gk(['api-keys', 'create', '--name', 'billing service', '--scopes', 'tokens:read,connections:read', '--integrations', 'crm', '--expires-at', '2099-01-01T00:00:00Z']);
    expect(r.code).toBe(0);
    const secret = r.stdout.trim();
    expect(secret).toMatch(/^gk_sk_[A-Za-z0-9_-]{43}$/);
    expect(r.stderr).toMatch(/Created API key key_[0-9a-f]{32} \(billing service\)\. The secret below is shown only now/);
    expect(r.stderr).toMatch(/scopes:\s+tokens:read, connections:read/);
    expect(r.stderr).toMatch(/integrations:\s+crm/);
    expect(r.stderr).toMatch(/expires:\s+2099-01-01 00:00:00Z/);
    expect(await status(secret)).toBe(200);
    expect(await status(secret, '/v1/webhook-endpoints')).toBe(403);
    // Never shown again: not in the list.
    const list = await gk(['api-keys', 'list']);
    expect(list.stdout).not.toContain(secret);
  });

  it('create --json answers with the key and its secret; list shows it (human and --json); revoke ends it at once', async () => {
    const created = await gk(['api-keys', 'create', '--name', 'ci', '--scopes', 'connections:write', '--json']);
    expect(created.code).toBe(0);
    const key = created.json();
    expect(key).toMatchObject({ id: expect.stringMatching(/^key_/), name: 'ci', scopes: ['connections:write'], integrations: null, source: 'api', secret: expect.stringMatching(/^gk_sk_/) });

    const list = await gk(['api-keys', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^ID\s+NAME\s+SCOPES\s+INTEGRATIONS\s+EXPIRES\s+LAST USED\s+SOURCE$/m);
    expect(list.stdout).toMatch(new RegExp(`^${key.id}\\s+ci\\s+connections:write\\s+all\\s+—\\s+—\\s+api$`, 'm'));
    expect(list.stdout).toMatch(/^key_[0-9a-f]{32}\s+GRANTKEEPER_SECRET_KEY\s+.*admin\s+all\s+—\s+not recorded\s+environment$/m);
    const json = await gk(['api-keys', 'list', '--json']);
    expect(json.json().data.map((k: any) => k.id)).toContain(key.id);

    expect(await status(key.secret)).toBe(200);
    const revoked = await gk(['api-keys', 'revoke', key.id]);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(/Revoked key_[0-9a-f]{32}/);
    expect(await status(key.secret)).toBe(401);
    const again = await gk(['api-keys', 'revoke', key.id, '--json']);
    expect(again.code).toBe(1);
    expect(again.json().error).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('an environment key cannot be revoked here: 409 with what to do', async () => {
    const envKey = (await gk(['api-keys', 'list', '--json'])).json().data.find((k: any) => k.source === 'environment');
    const r = await gk(['api-keys', 'revoke', envKey.id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/409 environment_key: .*GRANTKEEPER_SECRET_KEY/);
    expect(await status(server.key)).toBe(200);
  });

  it('usage errors exit 2; a key without admin is told which scope it lacks', async () => {
    const noName = await gk(['api-keys', 'create', '--scopes', 'proxy']);
    expect(noName.code).toBe(2);
    expect(noName.stderr).toMatch(/--name is required/);
    const badScope = await gk(['api-keys', 'create', '--name', 'x', '--scopes', 'tokens:write']);
    expect(badScope.code).toBe(2);
    expect(badScope.stderr).toMatch(/--scopes takes tokens:read, proxy/);
    const noId = await gk(['api-keys', 'revoke']);
    expect(noId.code).toBe(2);
    const server400 = await gk(['api-keys', 'create', '--name', 'x', '--scopes', 'admin', '--integrations', 'crm']);
    expect(server400.code).toBe(1);
    expect(server400.stderr).toMatch(/400 validation_failed/);
    expect(server400.stderr).toMatch(/integrations: a key limited to some integrations cannot hold admin/);

    const reader = (await gk(['api-keys', 'create', '--name', 'reader', '--scopes', 'connections:read', '--json'])).json();
    const forbidden = await gk(['api-keys', 'list'], { env: { GRANTKEEPER_SECRET_KEY: reader.secret } });
    expect(forbidden.code).toBe(1);
    expect(forbidden.stderr).toMatch(/403 insufficient_scope: This API key lacks the "admin" scope/);
  });
});
