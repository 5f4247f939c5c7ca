// The `grantkeeper` CLI, run as the built binary against a real server (in-process, PGlite)
// wired to the Salesforce emulator: every API command, --json parsed, errors and exit codes,
// and a bulk import killed halfway and resumed.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSalesforceRig, type SalesforceRig } from './helpers/salesforce.js';
import { spawn } from 'node:child_process';
import { BIN, cliEnv, runCli, startCli, waitForOutput, type CliOptions } from './cli-run.js';

let rig: SalesforceRig;
let env: Record<string, string>;
const dir = mkdtempSync(join(tmpdir(), 'gk-cli-'));
const gk = (args: string[], options: CliOptions = {}) => runCli(args, { ...options, env: { ...env, ...options.env } });

beforeAll(async () => {
  rig = await startSalesforceRig('pglite', { logName: 'cli' });
  env = { GRANTKEEPER_URL: rig.server.url, GRANTKEEPER_SECRET_KEY: rig.server.key, NO_COLOR: '1' };
});
afterAll(async () => {
  await rig?.stop();
});

async function connectionCount(integration: string): Promise<number> {
  const res = await rig.server.api('GET', `/v1/connections?integration=${integration}&limit=500`);
  return res.body.data.length;
}

describe('help and usage errors', () => {
  it.each([[[]], [['--help']], [['integrations', '--help']], [['connections', '--help']], [['doctor', '--help']], [['import', '--help']], [['keys', '--help']], [['start', '--help']], [['mcp', '--help']]])(
    'grantkeeper %j prints usage with examples',
    async (args) => {
      const r = await gk(args);
      expect(r.stdout).toMatch(/Usage: grantkeeper/);
      expect(r.stdout).toMatch(/Examples:/);
      expect(r.code).toBe(args.length === 0 ? 2 : 0);
    },
  );

  it('unknown commands, options and missing arguments exit 2 with a message', async () => {
    const unknown = await gk(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown command "frobnicate"/);
    const badOption = await gk(['connections', 'list', '--bogus']);
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toMatch(/Unknown option '--bogus'/);
    const missing = await gk(['connections', 'show']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/Missing <id>/);
    const badStatus = await gk(['connections', 'list', '--status', 'dead']);
    expect(badStatus.code).toBe(2);
    const badLimit = await gk(['connections', 'list', '--limit', '0']);
    expect(badLimit.code).toBe(2);
    expect(badLimit.stderr).toMatch(/--limit must be a whole number/);
  });

  it('no API key: exit 2 and says how to give one', async () => {
    const r = await gk(['integrations', 'list'], { env: { GRANTKEEPER_SECRET_KEY: '' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/No API key: pass --key, or set GRANTKEEPER_SECRET_KEY/);
  });

  it('a wrong key is a 401 with a clear message; --json puts the problem on stdout', async () => {
    const r = await gk(['integrations', 'list', '--json'], { env: { GRANTKEEPER_SECRET_KEY: 'gk_sk_wrong_wrong_wrong_wrong' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/401 unauthorized: the server refused the API key/);
    expect(r.json().error).toMatchObject({ status: 401, code: 'unauthorized' });
    expect(r.stderr + r.stdout).not.toContain('gk_sk_wrong');
  });

  it('an unreachable server: exit 1, names the URL', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      });
    });
    const r = await gk(['connections', 'list', '--url', `http://127.0.0.1:${port}`, '--json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`Cannot reach Grantkeeper at http://127.0.0.1:${port} \\(ECONNREFUSED\\)`));
    expect(r.json().error.code).toBe('unreachable');
  });

  it('--url and --key override the environment', async () => {
    const r = await gk(['integrations', 'list', '--json', '--url', rig.server.url, '--key', rig.server.key], { env: { GRANTKEEPER_URL: 'http://127.0.0.1:1', GRANTKEEPER_SECRET_KEY: '' } });
    expect(r.code).toBe(0);
    expect(r.json().data.map((i: any) => i.key)).toContain(rig.integrationKey);
  });
});

describe('integrations', () => {
  it('create (secret from stdin), list, show, update — human and --json', async () => {
    rig.emu.createApp({ clientId: 'cli-app-1', clientSecret: 'cli-secret-1-abcdef', callbackUrls: [`${rig.server.url}/oauth/callback`] });
    const created = await gk(
      ['integrations', 'create', 'cli-sf', '--provider', 'salesforce', '--client-id', 'cli-app-1', '--client-secret', '-', '--auth-base-url', rig.emu.url, '--keepalive-s', '3600', '--json'],
      { input: 'cli-secret-1-abcdef\n' },
    );
    expect(created.code).toBe(0);
    expect(created.json()).toMatchObject({ key: 'cli-sf', provider: 'salesforce', client_id: 'cli-app-1', has_client_secret: true, refresh: { keepalive_s: 3600 } });
    expect(created.stdout).not.toContain('cli-secret-1-abcdef');

    const list = await gk(['integrations', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^KEY\s+PROVIDER\s+STATUS\s+CLIENT ID/m);
    expect(list.stdout).toMatch(/^cli-sf\s+salesforce\s+ok\s+cli-app-1/m);
    expect(list.stdout).not.toMatch(/\u001b\[/); // no colour off a TTY

    const shown = await gk(['integrations', 'show', 'cli-sf']);
    expect(shown.stdout).toMatch(/client secret:\s+set \(never shown\)/);
    expect(shown.stdout).toMatch(/connections:\s+0/);

    const updated = await gk(['integrations', 'update', 'cli-sf', '--keepalive-s', '7200', '--keep-warm', '--scopes', 'api refresh_token', '--json']);
    expect(updated.code).toBe(0);
    expect(updated.json()).toMatchObject({ refresh: { keepalive_s: 7200, keep_warm: true }, scopes: ['api', 'refresh_token'] });
  });

  it('API problems: the detail and the field errors, exit 1', async () => {
    const invalid = await gk(['integrations', 'update', 'cli-sf', '--margin-s', '9000', '--access-token-ttl-s', '600']);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/Error: 400 validation_failed/);
    expect(invalid.stderr).toMatch(/refresh\.margin_s/);

    const missing = await gk(['integrations', 'show', 'no-such-integration', '--json']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/404 not_found/);
    expect(missing.json().error.code).toBe('not_found');

    const duplicate = await gk(['integrations', 'create', 'cli-sf', '--provider', 'salesforce', '--client-id', 'x', '--client-secret', 'y']);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toMatch(/409/);

    const noProvider = await gk(['integrations', 'create', 'another', '--client-id', 'x']);
    expect(noProvider.code).toBe(2);
    expect(noProvider.stderr).toMatch(/--provider is required/);
  });
});

describe('connections and doctor', () => {
  it('list (filters, table, --json, paging), show, refresh, delete', async () => {
    const user = rig.user();
    const a = await rig.importGrant(user.username, 'cli-user-a');
    const b = await rig.importGrant(rig.user().username, 'cli-user-b');

    const list = await gk(['connections', 'list', '--integration', rig.integrationKey, '--json']);
    expect(list.code).toBe(0);
    const ids = list.json().data.map((c: any) => c.id);
    expect(ids).toEqual(expect.arrayContaining([a.id, b.id]));

    const filtered = await gk(['connections', 'list', '--end-user', 'cli-user-a', '--status', 'active', '--json']);
    expect(filtered.json().data.map((c: any) => c.id)).toEqual([a.id]);

    const paged = await gk(['connections', 'list', '--integration', rig.integrationKey, '--limit', '1']);
    expect(paged.stdout).toMatch(/^ID\s+INTEGRATION\s+END USER\s+EXTERNAL ID\s+STATUS/m);
    expect(paged.stdout).toMatch(/More: --cursor \S+/);
    const all = await gk(['connections', 'list', '--integration', rig.integrationKey, '--limit', '1', '--all', '--json']);
    expect(all.json().data.length).toBe(ids.length);

    const shown = await gk(['connections', 'show', a.id]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`id:\\s+${a.id}`));
    expect(shown.stdout).toMatch(/end user:\s+cli-user-a/);

    const refreshed = await gk(['connections', 'refresh', a.id, '--json']);
    expect(refreshed.code).toBe(0);
    const token = refreshed.json();
    expect(token.generation).toBeGreaterThan(a.body.generation);
    expect(token.access_token).toBeUndefined(); // hidden unless --show-token
    const human = await gk(['connections', 'refresh', a.id]);
    expect(human.stdout).toMatch(new RegExp(`Refreshed ${a.id}: generation \\d+, access token valid until`));

    const unconfirmed = await gk(['connections', 'delete', b.id]);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toMatch(/--yes/);
    expect((await rig.server.api('GET', `/v1/connections/${b.id}`)).status).toBe(200);
    const deleted = await gk(['connections', 'delete', b.id, '--yes']);
    expect(deleted.code).toBe(0);
    const gone = await gk(['connections', 'show', b.id]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/404 not_found/);
  });

  it('doctor: the diagnosis, who fixes it, and the history newest first', async () => {
    const user = rig.user();
    const grant = await rig.importGrant(user.username, 'cli-doctor');
    await rig.server.api('POST', `/v1/connections/${grant.id}/refresh`);
    rig.emu.revokeApproval(grant.refreshToken);
    const refused = await gk(['connections', 'refresh', grant.id]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/409 reauth_required/);
    expect(refused.stderr).toMatch(/who fixes it: end_user/);
    expect(refused.stderr).toContain(`grantkeeper doctor ${grant.id}`);

    const providerCalls = rig.emu.stats().token_requests;
    const doctor = await gk(['doctor', grant.id]);
    expect(doctor.code).toBe(0);
    expect(rig.emu.stats().token_requests).toBe(providerCalls); // reading the diagnosis calls no provider
    const text = doctor.stdout;
    expect(text).toMatch(new RegExp(`^${grant.id}\\s+needs_reauth`, 'm'));
    expect(text).toMatch(/^Diagnosis\s+\S+/m);
    expect(text).toMatch(/Who fixes it:\s+the end user/);
    expect(text).toMatch(new RegExp(`Reconnect link:\\s+http\\S+/reconnect/${grant.id}\\?sig=`));
    expect(text).toMatch(/^Fix\n\s+1\. /m);
    expect(text).toMatch(/^Likely causes\n\s+• /m);
    expect(text).toMatch(/Last provider answer:\s+HTTP 400 invalid_grant/);
    expect(text).toMatch(/^History \(newest first, \d+ events\)/m);
    const history = text.slice(text.indexOf('History'));
    const rows = history.split('\n').slice(2).filter(Boolean);
    expect(rows[0]).toMatch(/permanent_error/); // newest first
    expect(rows.at(-1)).toMatch(/import/); // oldest last
    // Times are sorted newest first.
    const times = rows.map((r) => r.slice(0, 20));
    expect([...times].sort().reverse()).toEqual(times);

    const json = await gk(['doctor', grant.id, '--json']);
    const parsed = json.json();
    expect(parsed.diagnosis).toMatchObject({ who_fixes: 'end_user' });
    expect(parsed.diagnosis.code).toBe(parsed.connection.diagnosis.code);
    expect(parsed.events.length).toBeGreaterThanOrEqual(3);
    expect(parsed.reconnect_url).toMatch(/\/reconnect\//);

    const healthy = await rig.importGrant(rig.user().username, 'cli-doctor-ok');
    const ok = await gk(['doctor', healthy.id]);
    expect(ok.stdout).toMatch(/Healthy/);
    expect((await gk(['doctor', 'conn_nope'])).code).toBe(1);
  });
});

describe('import', () => {
  const grants = (n: number) => Array.from({ length: n }, (_, i) => {
    const { username } = rig.user();
    const t = rig.emu.issueTokens({ clientId: rig.clientId, username });
    return { username, refresh: String(t.refresh_token), access: String(t.access_token), instance: String(t.instance_url), id: String(t.id), issued: String(t.issued_at), i };
  });

  it('validates every row first: all problems with row numbers, nothing imported', async () => {
    const integration = rig.integrationKey;
    const [g1, g2] = grants(2);
    const csv = [
      'integration,end_user_id,end_user_email,refresh_token,instance_url,id_url,issued_at,metadata.plan',
      `${integration},u1,u1@example.com,${g1!.refresh},${g1!.instance},${g1!.id},${g1!.issued},gold`,
      `${integration},,not-an-email,${g2!.refresh},ftp://x,${g2!.id},yesterday,`,
      `no-such-integration,u3,,tok3,,,,`,
      `${integration},u4,,${g1!.refresh},,,,`,
      `${integration},"u5, ""quoted""",,"tok 5",,,,`,
      `${integration},u6,,tok6,,`,
    ].join('\n');
    const file = join(dir, 'bad.csv');
    writeFileSync(file, csv);
    const before = await connectionCount(integration);
    const r = await gk(['import', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Nothing imported: 5 of 6 rows are invalid/);
    expect(r.stderr).toMatch(/row 2 \(line 3\): end_user\.id is required/);
    expect(r.stderr).toMatch(/row 2 \(line 3\): end_user\.email is not an email address/);
    expect(r.stderr).toMatch(/row 2 \(line 3\): credentials\.instance_url must be an http\(s\) URL/);
    expect(r.stderr).toMatch(/row 2 \(line 3\): credentials\.issued_at must be RFC 3339/);
    expect(r.stderr).toMatch(/row 3 \(line 4\): integration no integration "no-such-integration"/);
    expect(r.stderr).toMatch(/row 4 \(line 5\): credentials\.refresh_token the same refresh token as row 1/);
    expect(r.stderr).toMatch(/row 5 \(line 6\): credentials\.refresh_token is not a token/);
    expect(r.stderr).toMatch(/row 6 \(line 7\): row has 6 fields, the header has 8/);
    expect(await connectionCount(integration)).toBe(before);

    const json = await gk(['import', file, '--json']);
    expect(json.json().error).toMatchObject({ code: 'invalid_rows', invalid: 5, total: 6 });

    const dry = await gk(['import', file, '--dry-run', '--skip-invalid']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/1 of 6 rows are valid \(5 would be skipped\)\. Nothing imported/);
    expect(await connectionCount(integration)).toBe(before);

    const skipping = await gk(['import', file, '--skip-invalid', '--json']);
    expect(skipping.code).toBe(1); // skipped rows are not success
    expect(skipping.json()).toMatchObject({ total: 6, imported: 1, already_imported: 0, failed: 0, skipped: 5 });
    expect(await connectionCount(integration)).toBe(before + 1);
    const imported = skipping.json().rows.find((row: any) => row.status === 'imported');
    const connection = await rig.server.api('GET', `/v1/connections/${imported.connection_id}`);
    expect(connection.body).toMatchObject({ end_user: { id: 'u1', email: 'u1@example.com' }, metadata: { plan: 'gold' } });
  });

  it('file-level problems and unreadable files', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"not": "an array"}');
    const r = await gk(['import', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/must be an array/);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '[{"credentials": {"refresh_token": "5Aep861secretpart" }');
    const parseError = await gk(['import', broken]);
    expect(parseError.stderr).toMatch(/not valid JSON/);
    expect(parseError.stderr).not.toContain('secretpart');
    const noHeader = join(dir, 'noheader.csv');
    writeFileSync(noHeader, 'foo,bar\n1,2\n');
    expect((await gk(['import', noHeader])).stderr).toMatch(/unknown column "foo"/);
    expect((await gk(['import', join(dir, 'missing.csv')])).stderr).toMatch(/Cannot read .*ENOENT/);
    expect((await gk(['import', join(dir, 'x.txt')])).code).toBe(1);
  });

  it('JSON import; a re-run imports nothing twice; per-row failures are reported', async () => {
    const integration = rig.integrationKey;
    const gs = grants(4);
    const rows: any[] = gs.map((g) => ({
      integration,
      end_user: { id: `json-${g.i}` },
      metadata: { source: 'legacy' },
      credentials: { refresh_token: g.refresh, access_token: g.access, instance_url: g.instance, id_url: g.id, issued_at: g.issued },
    }));
    // A refresh token imported earlier by another route: the server answers 409 duplicate_grant.
    await rig.server.api('POST', '/v1/connections', { integration, end_user: { id: 'elsewhere' }, credentials: { refresh_token: gs[3]!.refresh } });
    // Passes local checks, refused by the server (not a Salesforce identity URL): a per-row failure.
    rows.push({ integration, end_user: { id: 'json-bad' }, metadata: {}, credentials: { refresh_token: 'tok-bad-id-url', id_url: 'https://example.com/not-identity' } });
    const file = join(dir, 'grants.json');
    writeFileSync(file, JSON.stringify(rows));

    const first = await gk(['import', file, '--json']);
    expect(first.code).toBe(1);
    const report = first.json();
    expect(report).toMatchObject({ total: 5, imported: 3, already_imported: 1, failed: 1, skipped: 0 });
    expect(report.rows.find((r: any) => r.row === 5)).toMatchObject({ status: 'failed', http_status: 400, code: 'validation_failed', errors: [{ field: 'credentials.id_url' }] });
    expect(report.rows.find((r: any) => r.row === 4)).toMatchObject({ status: 'already_imported', connection_id: expect.stringMatching(/^conn_/) });

    const human = await gk(['import', file]);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/0 imported, 4 already imported, 1 failed — of 5 rows\./);
    expect(human.stdout).toMatch(/row 5: 400 validation_failed — .*\n\s+credentials\.id_url: /);
    expect(human.stderr).toMatch(/importing: 5\/5/); // the progress bar, off a TTY: plain lines

    const list = (await rig.server.api('GET', `/v1/connections?integration=${integration}&limit=500`)).body.data;
    for (const g of gs.slice(0, 3)) expect(list.filter((c: any) => c.end_user.id === `json-${g.i}`)).toHaveLength(1);
  });

  it('--verify: a grant that does not refresh is imported, listed with its status, exit 1', async () => {
    const [alive, dead] = grants(2);
    rig.emu.revokeApproval(dead!.refresh);
    const file = join(dir, 'verify.csv');
    writeFileSync(file, `end_user_id,refresh_token,instance_url,id_url\nv-alive,${alive!.refresh},${alive!.instance},${alive!.id}\nv-dead,${dead!.refresh},${dead!.instance},${dead!.id}\n`);
    const r = await gk(['import', file, '--integration', rig.integrationKey, '--verify', '--json']);
    expect(r.code).toBe(1);
    const report = r.json();
    expect(report).toMatchObject({ imported: 2, failed: 0, unhealthy: 1 });
    expect(report.rows[0].connection_status).toBeUndefined();
    expect(report.rows[1]).toMatchObject({ status: 'imported', connection_status: 'needs_reauth' });
    const human = await gk(['import', file, '--integration', rig.integrationKey]);
    expect(human.code).toBe(0); // a re-run without --verify: both already imported
    expect(human.stdout).toMatch(/0 imported, 2 already imported/);
  });

  it('an import killed halfway (SIGKILL) resumes: no duplicates, every row accounted for', async () => {
    rig.emu.createApp({ clientId: 'cli-slow', clientSecret: 'cli-slow-secret-123', callbackUrls: [`${rig.server.url}/oauth/callback`] });
    const created = await rig.server.api('POST', '/v1/integrations', { key: 'cli-slow', provider: 'salesforce', client_id: 'cli-slow', client_secret: 'cli-slow-secret-123', auth_base_url: rig.emu.url });
    expect(created.status).toBe(201);
    const n = 12;
    const lines = ['end_user_id,refresh_token,instance_url,id_url'];
    for (let i = 0; i < n; i++) {
      const { username } = rig.user();
      const t = rig.emu.issueTokens({ clientId: 'cli-slow', username });
      lines.push(`slow-${i},${t.refresh_token},${t.instance_url},${t.id}`);
    }
    const file = join(dir, 'slow.csv');
    writeFileSync(file, `${lines.join('\r\n')}\r\n`);

    // --verify makes each row one refresh at the emulator, slowed down, so the kill lands mid-import.
    rig.emu.setLatency(400, 'token');
    const run = startCli(['import', file, '--integration', 'cli-slow', '--verify', '--concurrency', '1'], { env });
    await waitForOutput(run, (stderr) => {
      const m = [...stderr.matchAll(/importing: (\d+)\/12/g)].at(-1);
      return Boolean(m && Number(m[1]) >= 2);
    }, 'two rows were imported');
    run.child.kill('SIGKILL');
    const killed = await run.done;
    expect(killed.signal).toBe('SIGKILL');
    const shown = Number([...killed.stderr.matchAll(/importing: (\d+)\/12/g)].at(-1)![1]);
    rig.emu.setLatency(0, 'token');

    const afterKill = await connectionCount('cli-slow');
    expect(afterKill).toBeGreaterThanOrEqual(shown);
    expect(afterKill).toBeLessThan(n);

    const resumed = await gk(['import', file, '--integration', 'cli-slow', '--verify', '--json']);
    expect(resumed.code).toBe(0);
    const report = resumed.json();
    expect(report.imported + report.already_imported).toBe(n);
    expect(report.failed).toBe(0);
    expect(report.already_imported).toBeGreaterThanOrEqual(shown);
    const connections = (await rig.server.api('GET', '/v1/connections?integration=cli-slow&limit=500')).body.data;
    expect(connections).toHaveLength(n);
    expect(new Set(connections.map((c: any) => c.end_user.id)).size).toBe(n);
    expect(connections.every((c: any) => c.status === 'active')).toBe(true);

    const again = await gk(['import', file, '--integration', 'cli-slow']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/0 imported, 12 already imported, 0 failed — of 12 rows\./);
    expect(await connectionCount('cli-slow')).toBe(n);
  });
});

describe('on a terminal', () => {
  /** Runs the CLI under a pseudo-terminal (util-linux `script`), so stdout and stderr are TTYs. */
  const onTty = (args: string[], extra: Record<string, string> = {}) =>
    new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const command = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
      const child = spawn('script', ['-qec', command, '/dev/null'], { env: cliEnv({ ...env, NO_COLOR: undefined, TERM: 'xterm', ...extra }) });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, output }));
    });

  it('colours on a TTY, none with NO_COLOR; the import shows a progress bar', async () => {
    const coloured = await onTty(['integrations', 'list']);
    expect(coloured.code).toBe(0);
    expect(coloured.output).toContain('\u001b[1mKEY');
    expect(coloured.output).toContain('\u001b[32mok\u001b[0m');
    const plain = await onTty(['integrations', 'list'], { NO_COLOR: '1' });
    expect(plain.code).toBe(0);
    expect(plain.output).not.toMatch(/\u001b\[/);
    expect(plain.output).toMatch(/^KEY\s+PROVIDER/m);

    const { username } = rig.user();
    const t = rig.emu.issueTokens({ clientId: rig.clientId, username });
    const file = join(dir, 'tty.csv');
    writeFileSync(file, `end_user_id,refresh_token\ntty-user,${t.refresh_token}\n`);
    const imported = await onTty(['import', file, '--integration', rig.integrationKey], { NO_COLOR: '1' });
    expect(imported.code).toBe(0);
    expect(imported.output).toMatch(/\rimporting\s+\[#{30}\] 1\/1/);
    expect(imported.output).toMatch(/1 imported, 0 already imported, 0 failed — of 1 row\./);
  });
});
