// Issue 17 in the built `grantkeeper` CLI against a real server and the Salesforce emulator:
// `integrations create` prints the callback URL to register; `import` reports each row
// problem once; a made-up refresh token imported with --verify is reported as unknown to
// Salesforce, not as revoked.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliOptions } from './cli-run.js';
import { startSalesforceRig, type SalesforceRig } from './helpers/salesforce.js';

let rig: SalesforceRig;
let env: Record<string, string>;
const dir = mkdtempSync(join(tmpdir(), 'gk-cli-first-hour-'));
const gk = (args: string[], options: CliOptions = {}) => runCli(args, { ...options, env: { ...env, ...options.env } });
const count = (text: string, needle: string) => text.split(needle).length - 1;

beforeAll(async () => {
  rig = await startSalesforceRig('pglite', { logName: 'cli-first-hour' });
  env = { GRANTKEEPER_URL: rig.server.url, GRANTKEEPER_SECRET_KEY: rig.server.key, NO_COLOR: '1' };
});
afterAll(async () => {
  await rig?.stop();
});

describe('integrations create', () => {
  it('prints the callback URL to register at the provider, in words and in --json', async () => {
    const callback = `${rig.server.ctx.config.publicUrl}/oauth/callback`;
    const human = await gk(['integrations', 'create', 'fh-sf', '--provider', 'salesforce', '--client-id', 'fh-app', '--client-secret', '-', '--auth-base-url', rig.emu.url], { input: 'fh-secret-123456\n' });
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`callback url:\\s+${callback.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
    expect(human.stdout).toContain(`Register this callback URL (redirect URI) in the OAuth app at the provider: ${callback}`);
    expect(human.stdout).not.toContain('fh-secret-123456');

    const json = await gk(['integrations', 'create', 'fh-sf-2', '--provider', 'salesforce', '--client-id', 'fh-app-2', '--client-secret', 'x-secret', '--auth-base-url', rig.emu.url, '--json']);
    expect(json.code, json.stderr).toBe(0);
    expect(json.json().callback_url).toBe(callback);
    const shown = await gk(['integrations', 'show', 'fh-sf-2']);
    expect(shown.stdout).toContain(callback);
  });
});

describe('import', () => {
  it('reports each row problem once', async () => {
    const file = join(dir, 'bad-metadata.csv');
    writeFileSync(file, `integration,end_user_id,refresh_token,metadata\n${rig.integrationKey},u1,tok-1,{not json\n${rig.integrationKey},,tok-2,\n`);
    const r = await gk(['import', file]);
    expect(r.code).toBe(1);
    expect(count(r.stderr, 'row 1 (line 2): metadata must be a JSON object')).toBe(1);
    expect(count(r.stderr, 'row 2 (line 3): end_user.id is required')).toBe(1);
    const json = await gk(['import', file, '--json']);
    const problems = json.json().error.problems as { row: number; field: string }[];
    expect(problems.map((p) => `${p.row} ${p.field}`)).toEqual(['1 metadata', '2 end_user.id']);
  });

  it('--verify: a made-up refresh token is imported and reported as unknown to Salesforce, a real one as working', async () => {
    const { username } = rig.user();
    const real = String(rig.emu.issueTokens({ clientId: rig.clientId, username }).refresh_token);
    const file = join(dir, 'verify.json');
    writeFileSync(file, JSON.stringify([
      { integration: rig.integrationKey, end_user: { id: 'fh-real' }, credentials: { refresh_token: real } },
      { integration: rig.integrationKey, end_user: { id: 'fh-made-up' }, credentials: { refresh_token: 'this-token-was-never-issued' } },
    ]));
    const r = await gk(['import', file, '--verify']);
    expect(r.code).toBe(1); // a grant did not refresh
    expect(r.stdout).toMatch(/2 imported/);
    expect(r.stdout).toMatch(/row 2: conn_[0-9a-f]{32} is needs_reauth \(unknown_token\)/);
    expect(r.stdout).not.toMatch(/revoked/);
    expect(r.stdout).not.toMatch(/row 1:/);
  });
});
