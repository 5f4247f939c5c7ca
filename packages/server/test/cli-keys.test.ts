// `grantkeeper keys add|rotate|reset-api-key` against a child `grantkeeper start` holding an
// embedded data directory: a new dev key goes first in keys.json, the server is restarted,
// the rotation runs through its admin API with a progress bar, and a lost generated API key
// is replaced while the server is stopped. PostgreSQL mode: `keys add` only prints.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSalesforceEmulator, type SalesforceEmulator } from '@grantkeeper/salesforce-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keyring } from '../src/crypto/keyring.js';
import { readLock } from '../src/db/data-dir-lock.js';
import { runCli, startCli, waitForOutput } from './cli-run.js';
import { testEncryptionKeys } from './helpers/server.js';
import { until } from './helpers/wait.js';

const dataDir = mkdtempSync(join(tmpdir(), 'gk-cli-keys-'));
const base = { GRANTKEEPER_DATA_DIR: dataDir, NO_COLOR: '1' };
let emu: SalesforceEmulator;
let server: ReturnType<typeof startCli> | null = null;
let url = '';

/** Starts `grantkeeper start` on the data dir; resolves with its URL once it answers. */
async function startChild(): Promise<{ stderr: string }> {
  server = startCli(['start'], {
    env: { ...base, GRANTKEEPER_PORT: '0', GRANTKEEPER_ALLOW_PRIVATE_NETWORK: 'true', GRANTKEEPER_LOG_LEVEL: 'warn', GRANTKEEPER_SCHEDULER_INTERVAL_MS: '3600000' },
  });
  const run = server;
  await waitForOutput(run, () => Boolean(readLock(dataDir)?.url && readLock(dataDir)?.pid === run.child.pid), 'the server published its URL');
  url = readLock(dataDir)!.url!;
  await until('the server to answer /healthz', () => fetch(`${url}/healthz`).then((r) => r.ok, () => false), 10_000, 100);
  return { stderr: run.stderr() };
}

async function stopChild(): Promise<void> {
  if (!server) return;
  const run = server;
  server = null;
  run.child.kill('SIGTERM');
  const result = await run.done;
  expect(result.code).toBe(0);
}

beforeAll(async () => {
  emu = await startSalesforceEmulator({ port: 0 });
});
afterAll(async () => {
  if (server) {
    server.child.kill('SIGKILL');
    await server.done;
  }
  await emu?.close();
});

describe('keys in embedded mode, with a child server holding the data directory', () => {
  let apiKey = '';
  const asClient = (extra: Record<string, string> = {}) => ({ ...base, GRANTKEEPER_URL: url, GRANTKEEPER_SECRET_KEY: apiKey, ...extra });

  it('start prints a generated API key once; the CLI imports grants through it', { timeout: 120_000 }, async () => {
    const { stderr } = await startChild();
    apiKey = /^\s+(gk_sk_\S+)$/m.exec(stderr)?.[1] ?? '';
    expect(apiKey).toMatch(/^gk_sk_/);

    emu.createApp({ clientId: 'keys-app', clientSecret: 'keys-app-secret-123', callbackUrls: ['http://localhost:4280/oauth/callback'] });
    const created = await runCli(['integrations', 'create', 'sf', '--provider', 'salesforce', '--client-id', 'keys-app', '--client-secret', 'keys-app-secret-123', '--auth-base-url', emu.url], { env: asClient() });
    expect(created.code).toBe(0);
    const lines = ['end_user_id,refresh_token,instance_url,id_url'];
    for (let i = 0; i < 5; i++) {
      emu.createUser({ username: `keys${i}@example.com` });
      const t = emu.issueTokens({ clientId: 'keys-app', username: `keys${i}@example.com` });
      lines.push(`k${i},${t.refresh_token},${t.instance_url},${t.id}`);
    }
    const file = join(dataDir, '..', `keys-import-${Date.now()}.csv`);
    writeFileSync(file, lines.join('\n'));
    const imported = await runCli(['import', file, '--integration', 'sf', '--verify', '--json'], { env: asClient() });
    expect(imported.json()).toMatchObject({ imported: 5, failed: 0 });
  });

  it('reset-api-key refuses while the server holds the database', async () => {
    const r = await runCli(['keys', 'reset-api-key'], { env: base });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/A server \(pid \d+, http:\/\/127\.0\.0\.1:\d+\) holds the embedded database/);
    expect(r.stderr).toMatch(/Stop it first/);
  });

  it('keys add puts a new key first in keys.json and says to restart the running server', async () => {
    const before = JSON.parse(readFileSync(join(dataDir, 'keys.json'), 'utf8')).encryption_keys as string;
    const oldKids = Keyring.parse(before).keys.map((k) => k.kid);
    const r = await runCli(['keys', 'add', '--json'], { env: base });
    expect(r.code).toBe(0);
    const out = r.json();
    expect(out.server).toMatchObject({ pid: server!.child.pid, url });
    expect(out.steps.join(' ')).toMatch(/restart it/);
    const after = Keyring.parse(JSON.parse(readFileSync(join(dataDir, 'keys.json'), 'utf8')).encryption_keys);
    expect(after.keys.map((k) => k.kid)).toEqual([out.kid, ...oldKids]);
    expect(readFileSync(join(dataDir, 'keys.json'), 'utf8')).not.toContain('undefined');
  });

  it('after a restart, keys rotate runs through the server (admin API) with a progress bar', { timeout: 120_000 }, async () => {
    await stopChild();
    await startChild();
    const rotated = await runCli(['keys', 'rotate', '--key', apiKey], { env: base });
    expect(rotated.code).toBe(0);
    expect(rotated.stderr).toMatch(/^connections: 5\/5$/m);
    expect(rotated.stderr).toMatch(/^integrations: 1\/1$/m);
    const m = /Re-encrypted (\d+) of (\d+) rows/.exec(rotated.stdout);
    expect(Number(m?.[1])).toBeGreaterThanOrEqual(6); // 5 grants + the client secret were under the old key
    const again = await runCli(['keys', 'rotate', '--key', apiKey], { env: base });
    expect(again.stdout).toMatch(/Re-encrypted 0 of \d+ rows/);
    // The grants still decrypt (and refresh) under the new key.
    const list = (await runCli(['connections', 'list', '--json'], { env: asClient() })).json().data;
    const refreshed = await runCli(['connections', 'refresh', list[0].id, '--json'], { env: asClient() });
    expect(refreshed.code).toBe(0);
  });

  it('keys rotate without --key or GRANTKEEPER_SECRET_KEY says what is missing', async () => {
    const r = await runCli(['keys', 'rotate'], { env: base });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/pass its API key with --key/);
  });

  it('reset-api-key with the server stopped: old key revoked, the new one printed once and accepted', { timeout: 120_000 }, async () => {
    await stopChild();
    const r = await runCli(['keys', 'reset-api-key'], { env: base });
    expect(r.code).toBe(0);
    const fresh = r.stdout.trim();
    expect(fresh).toMatch(/^gk_sk_\S+$/);
    expect(r.stderr).toMatch(/Revoked 1 API key\. The new API key, shown only now/);
    const { stderr } = await startChild();
    expect(stderr).not.toMatch(/generated an API key/);
    const old = await runCli(['integrations', 'list'], { env: asClient() });
    expect(old.code).toBe(1);
    expect(old.stderr).toMatch(/401/);
    const ok = await runCli(['integrations', 'list', '--json'], { env: asClient({ GRANTKEEPER_SECRET_KEY: fresh }) });
    expect(ok.code).toBe(0);
    expect(ok.json().data.map((i: any) => i.key)).toEqual(['sf']);
    await stopChild();
  });
});

describe('keys in PostgreSQL mode', () => {
  const pgEnv = {
    GRANTKEEPER_DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/not_used_by_keys_add',
    GRANTKEEPER_SECRET_KEY: 'gk_sk_test_pg_mode_key_123456',
    GRANTKEEPER_ENCRYPTION_KEYS: testEncryptionKeys(),
    NO_COLOR: '1',
  };

  it('keys add prints a new kid:base64key entry and the rollout steps, changing nothing', async () => {
    const r = await runCli(['keys', 'add'], { env: pgEnv });
    expect(r.code).toBe(0);
    const entry = /^\s+(k\d{8}[0-9a-f]{6}:\S+)$/m.exec(r.stdout)?.[1];
    expect(entry).toBeDefined();
    expect(Keyring.parse(entry!).keys[0]!.key).toHaveLength(32);
    expect(r.stdout).toMatch(/NOT first yet/);
    expect(r.stdout).toMatch(/make it FIRST/);
    expect(r.stdout).toMatch(/grantkeeper keys rotate/);
    expect(r.stdout).toMatch(/Remove the old key/);
    const json = (await runCli(['keys', 'add', '--json'], { env: pgEnv })).json();
    expect(json).toMatchObject({ stored: false, kid: expect.stringMatching(/^k\d{8}/), steps: expect.any(Array) });
    expect(json.kid).not.toBe(/^\s+(k[^:]+):/m.exec(r.stdout)?.[1]);
  });

  it('reset-api-key explains that PostgreSQL keys live in GRANTKEEPER_SECRET_KEY', async () => {
    const r = await runCli(['keys', 'reset-api-key'], { env: pgEnv });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/GRANTKEEPER_SECRET_KEY/);
  });

  it('unknown keys commands exit 2', async () => {
    const r = await runCli(['keys', 'shred'], { env: pgEnv });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Unknown keys command "shred"/);
  });
});
