// `grantkeeper import --from-nango`: a few hundred connections from a Nango-shaped API over
// real HTTP (helpers/nango-server.ts), the missing integration created from Nango's client id
// and a client secret given by file, resumed after the importer is killed halfway.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runCli, startCli } from './cli-run.js';
import { BACKENDS } from './helpers/databases.js';
import { startFakeNango, type FakeNango } from './helpers/nango-server.js';
import { startSalesforceRig, type SalesforceRig } from './helpers/salesforce.js';

const OAUTH = 280;
const NOT_OAUTH = 6;
const NO_REFRESH = 4;

describe.each(BACKENDS)('import --from-nango on %s', (backend) => {
  let rig: SalesforceRig;
  let nango: FakeNango;
  let env: Record<string, string>;
  const dir = mkdtempSync(join(tmpdir(), 'gk-import-nango-'));
  const secretsFile = join(dir, 'secrets.json');
  const refreshTokens = new Map<string, string>();
  const args = () => ['import', '--from-nango', nango.url, '--map', 'nango-sf=gk-sf', '--secrets', secretsFile, '--concurrency', '2'];

  beforeAll(async () => {
    rig = await startSalesforceRig(backend, { logName: 'import-nango' });
    env = { GRANTKEEPER_URL: rig.server.url, GRANTKEEPER_SECRET_KEY: rig.server.key, NANGO_SECRET_KEY: 'nango-secret-test', NO_COLOR: '1' };
    nango = await startFakeNango('nango-secret-test');
    // The same OAuth app Nango used: its client id is what Nango's API shows, its secret is not.
    nango.integrations.set('nango-sf', { provider: 'salesforce', client_id: rig.clientId });
    for (let i = 0; i < OAUTH + NOT_OAUTH + NO_REFRESH; i++) {
      const id = `nango-${String(i).padStart(3, '0')}`;
      const base = { connection_id: id, provider_config_key: 'nango-sf', provider: 'salesforce', end_user: { id: `user-${i}`, email: `u${i}@example.com` }, metadata: { n: i } };
      if (i < OAUTH) {
        const { username } = rig.user();
        const t = rig.emu.issueTokens({ clientId: rig.clientId, username });
        refreshTokens.set(id, String(t.refresh_token));
        nango.connections.push({
          ...base,
          connection_config: { instance_url: String(t.instance_url) },
          credentials: { type: 'OAUTH2', access_token: String(t.access_token), refresh_token: String(t.refresh_token), expires_at: new Date(Date.now() + 3600_000).toISOString(), raw: { ...t } },
        });
      } else if (i < OAUTH + NOT_OAUTH) {
        nango.connections.push({ ...base, connection_config: {}, credentials: { type: 'API_KEY', apiKey: `key-${i}` } });
      } else {
        nango.connections.push({ ...base, connection_config: {}, credentials: { type: 'OAUTH2', access_token: `at-${i}`, raw: {} } });
      }
    }
  });
  afterAll(async () => {
    await nango?.close();
    await rig?.stop();
  });

  const imported = async () => {
    const all: any[] = [];
    let cursor: string | null = null;
    do {
      const page: any = (await rig.server.api('GET', `/v1/connections?integration=gk-sf&limit=500${cursor ? `&cursor=${cursor}` : ''}`)).body;
      if (!page.data) return all;
      all.push(...page.data);
      cursor = page.next_cursor;
    } while (cursor);
    return all;
  };

  test('without the client secret nothing is imported, and the message says why', async () => {
    const r = await runCli(['import', '--from-nango', nango.url, '--map', 'nango-sf=gk-sf'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Nango's API does not give out client secrets/);
    expect(r.stderr).toMatch(/nango-sf → gk-sf: its client secret/);
    expect((await rig.server.api('GET', '/v1/integrations/gk-sf')).status).toBe(404);
    const wrongKey = await runCli(['import', '--from-nango', nango.url, '--nango-secret-key', 'wrong'], { env });
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toMatch(/401 unknown_account/);
  });

  test('killed halfway, then resumed: every OAuth 2 connection imported once, with its Nango id and current refresh token', async () => {
    writeFileSync(secretsFile, JSON.stringify({ 'nango-sf': { client_secret: rig.clientSecret, auth_base_url: rig.emu.url } }));
    const run = startCli(args(), { env });
    // Interrupted for real: SIGKILL once Nango has handed out a third of the tokens.
    nango.onRead = (reads) => {
      if (reads === Math.floor(OAUTH / 3)) run.child.kill('SIGKILL');
    };
    const killed = await run.done;
    nango.onRead = null;
    expect(killed.signal).toBe('SIGKILL');
    const afterKill = (await imported()).length;
    expect(afterKill).toBeGreaterThan(0);
    expect(afterKill).toBeLessThan(OAUTH);

    const resumed = await runCli([...args(), '--json'], { env });
    expect(resumed.code, resumed.stderr).toBe(0);
    const report = resumed.json();
    expect(report).toMatchObject({ total: OAUTH + NOT_OAUTH + NO_REFRESH, failed: 0, skipped: NOT_OAUTH + NO_REFRESH });
    expect(report.imported + report.already_imported).toBe(OAUTH);
    expect(report.already_imported).toBeGreaterThanOrEqual(afterKill);
    expect(resumed.stderr).toMatch(/importing: \d+\/\d+/); // the progress bar (not a TTY: lines)

    const connections = await imported();
    expect(connections).toHaveLength(OAUTH);
    expect(new Set(connections.map((c) => c.external_id)).size).toBe(OAUTH);
    const one = connections.find((c) => c.external_id === 'nango-007');
    expect(one).toMatchObject({ end_user: { id: 'user-7', email: 'u7@example.com' }, metadata: { n: 7 }, status: 'active' });
    expect(one.provider_account.instance_url).toMatch(/^http/);

    // The stored refresh token is Nango's, and it refreshes with the created integration's app.
    const nangoView = await rig.server.api('GET', `/nango/connections/nango-007?provider_config_key=gk-sf&refresh_token=true`);
    expect(nangoView.body.credentials.refresh_token).toBe(refreshTokens.get('nango-007'));
    const refreshed = await rig.server.api('POST', `/v1/connections/${one.id}/refresh`);
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);

    // Once more: nothing new, nothing asked of Nango for the connections already here.
    const readsBefore = nango.reads;
    const again = await runCli(args(), { env });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`0 imported, ${OAUTH} already imported, 0 failed`));
    expect(nango.reads - readsBefore).toBe(NOT_OAUTH + NO_REFRESH);
    expect(await imported()).toHaveLength(OAUTH);
  });
});
