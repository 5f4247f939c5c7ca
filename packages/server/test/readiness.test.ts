// `GET /v1/integrations/{key}/readiness` and `grantkeeper doctor --salesforce <integration>`:
// the 2026 readiness report from stored history, against the emulator over real HTTP (and a
// real tinyproxy for the egress line), on both databases. Plus the module's own judgement of
// facts the emulator cannot produce yet (app_not_installed comes from another branch's code).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { salesforceModule } from '../src/providers/salesforce/module.js';
import type { ReadinessFacts } from '../src/providers/readiness-types.js';
import { runCli } from './cli-run.js';
import { BACKENDS } from './helpers/databases.js';
import { startSalesforceRig, type SalesforceRig } from './helpers/salesforce.js';
import { startTinyproxy, type TinyProxy } from './helpers/tinyproxy.js';

const statuses = (report: any) => Object.fromEntries(report.checks.map((c: any) => [c.id, c.status]));

describe.each(BACKENDS)('readiness report on %s', (backend) => {
  let proxy: TinyProxy;
  beforeAll(async () => {
    proxy = await startTinyproxy();
  });
  afterAll(async () => proxy?.stop());

  describe('an app that is not ready: no rotation, direct egress, an allowlist refusing it', () => {
    let rig: SalesforceRig;
    beforeAll(async () => {
      rig = await startSalesforceRig(backend, { logName: 'readiness-not-ready', app: { rotation: false } });
    });
    afterAll(async () => rig?.stop());

    test('each line says what was seen and the fix; the CLI exits 1', async () => {
      const { api } = rig.server;
      const ok = await rig.importGrant(rig.user().username);
      expect((await api('GET', `/v1/connections/${ok.id}/token`)).status).toBe(200);
      // Then the app starts enforcing a Refresh Token IP Allowlist that does not list 127.0.0.1.
      rig.emu.setRefreshTokenIpAllowlist(rig.clientId, ['127.0.0.2']);
      const refused = await rig.importGrant(rig.user().username);
      expect((await api('GET', `/v1/connections/${refused.id}/token`)).status).not.toBe(200);

      const res = await api('GET', `/v1/integrations/${rig.integrationKey}/readiness`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ integration: rig.integrationKey, provider: 'salesforce', module: 'salesforce', window_days: 30 });
      expect(statuses(res.body)).toEqual({ pkce: 'pass', rotation: 'fail', idle_limit: 'pass', egress: 'fail', ip_answers: 'warn', app_installed: 'pass' });
      const rotation = res.body.checks.find((c: any) => c.id === 'rotation');
      expect(rotation.detail).toContain('1 successful refresh');
      expect(rotation.fix).toContain('Refresh Token Rotation');
      expect(res.body.summary).toEqual({ pass: 3, warn: 1, fail: 2 });

      // A keepalive at the idle limit fails its line.
      expect((await api('PATCH', `/v1/integrations/${rig.integrationKey}`, { refresh: { keepalive_s: 30 * 86_400 } })).status).toBe(200);
      const after = await api('GET', `/v1/integrations/${rig.integrationKey}/readiness?window_days=7`);
      expect(after.body.window_days).toBe(7);
      expect(statuses(after.body).idle_limit).toBe('fail');

      const env = { GRANTKEEPER_URL: rig.server.url, GRANTKEEPER_SECRET_KEY: rig.server.key };
      const cli = await runCli(['doctor', '--salesforce', rig.integrationKey], { env });
      expect(cli.code).toBe(1);
      expect(cli.stdout).toMatch(/^FAIL\s+Refresh-token rotation observed/m);
      expect(cli.stdout).toMatch(/^PASS\s+PKCE/m);
      expect(cli.stdout).toMatch(/Fix: .*GRANTKEEPER_OUTBOUND_PROXY/);
      const json = await runCli(['doctor', '--salesforce', rig.integrationKey, '--json'], { env });
      expect(json.code).toBe(1);
      expect(json.json().summary.fail).toBe(3);

      // Bad input: a clear error, nothing changed.
      expect((await api('GET', `/v1/integrations/${rig.integrationKey}/readiness?window_days=0`)).status).toBe(400);
      expect((await api('GET', '/v1/integrations/nope/readiness')).status).toBe(404);
      expect((await runCli(['doctor', '--salesforce', 'nope'], { env })).code).toBe(1);
      expect((await runCli(['doctor', '--salesforce'], { env })).code).toBe(2);

      // `doctor` alone: the server and its egress.
      const server = await runCli(['doctor'], { env });
      expect(server.code).toBe(0);
      expect(server.stdout).toMatch(/Egress:?\s+direct/);
    });
  });

  describe('a ready app: rotation on, calls through the allowlisted proxy', () => {
    let rig: SalesforceRig;
    beforeAll(async () => {
      rig = await startSalesforceRig(backend, { logName: 'readiness-ready', app: { rotation: true }, integration: { outbound_proxy: proxy.url } });
      rig.emu.setRefreshTokenIpAllowlist(rig.clientId, ['127.0.0.2']);
    });
    afterAll(async () => rig?.stop());

    test('every line passes; the CLI exits 0 and names the proxy', async () => {
      const grant = await rig.importGrant(rig.user().username);
      const token = await rig.server.api('GET', `/v1/connections/${grant.id}/token`);
      expect(token.status).toBe(200);
      const res = await rig.server.api('GET', `/v1/integrations/${rig.integrationKey}/readiness`);
      expect(statuses(res.body)).toEqual({ pkce: 'pass', rotation: 'pass', idle_limit: 'pass', egress: 'pass', ip_answers: 'pass', app_installed: 'pass' });
      expect(res.body.checks.find((c: any) => c.id === 'egress').detail).toContain(`127.0.0.1:${proxy.port}`);
      const env = { GRANTKEEPER_URL: rig.server.url, GRANTKEEPER_SECRET_KEY: rig.server.key };
      const cli = await runCli(['doctor', '--salesforce', rig.integrationKey], { env });
      expect(cli.code).toBe(0);
      expect(cli.stdout).not.toMatch(/^(WARN|FAIL)/m);
      const doctor = await runCli(['doctor', grant.id], { env });
      expect(doctor.stdout).toMatch(new RegExp(`Egress:?\\s+proxy 127\\.0\\.0\\.1:${proxy.port} \\(the integration's own outbound_proxy\\)`));
    });
  });
});

describe('the Salesforce readiness judgement', () => {
  const facts = (over: Partial<ReadinessFacts> = {}): ReadinessFacts => ({
    windowDays: 30,
    integration: { key: 'sf', keepaliveS: 86_400, hasClientSecret: true },
    idleLimitS: 30 * 86_400,
    refreshes: { succeeded: 4, rotated: 4, failed: 0 },
    connections: { total: 4, orgs: 3, stale: 0 },
    egress: { mode: 'proxy', proxy: '10.0.0.5:3128', source: 'instance' },
    diagnoses: {},
    ...over,
  });
  const check = (f: ReadinessFacts, id: string) => salesforceModule.readiness!.check(f).find((c) => c.id === id)!;

  test('app_not_found answers fail the installation line, naming the orgs and the admin fix', () => {
    const line = check(facts({ diagnoses: { app_not_installed: { connections: 3, orgs: 2 } } }), 'app_installed');
    expect(line).toMatchObject({ status: 'fail' });
    expect(line.detail).toContain('3 connections in 2 orgs');
    expect(line.fix).toContain('installs the External Client App');
  });

  test('refresh_ip_blocked fails the IP line; rotation seen in some orgs only warns; no refresh yet warns', () => {
    expect(check(facts({ diagnoses: { refresh_ip_blocked: { connections: 5, orgs: 2 } } }), 'ip_answers').status).toBe('fail');
    expect(check(facts({ refreshes: { succeeded: 4, rotated: 1, failed: 0 } }), 'rotation').status).toBe('warn');
    expect(check(facts({ refreshes: { succeeded: 0, rotated: 0, failed: 2 } }), 'rotation').status).toBe('warn');
    expect(check(facts({ integration: { key: 'sf', keepaliveS: 15 * 86_400, hasClientSecret: true } }), 'idle_limit').status).toBe('warn');
    expect(check(facts({ connections: { total: 4, orgs: 3, stale: 2 } }), 'idle_limit').status).toBe('warn');
    expect(check(facts({ egress: { mode: 'direct', proxy: null, source: 'none' } }), 'egress').status).toBe('warn');
  });
});
