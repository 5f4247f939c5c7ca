// The failure causes of 2026 end to end, against the Salesforce emulator over real HTTP on both
// databases: an External Client App missing from an org (app_not_found → app_not_installed,
// re-probed until an admin installs it), a frozen user, and IP refusals that look like one org's
// policy until a second org refuses too (ip_restricted → refresh_ip_blocked, announced once).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { classifyProviderFailure } from '../src/providers/classify.js';
import { diagnose } from '../src/diagnosis/diagnose.js';
import { salesforceModule } from '../src/providers/salesforce/module.js';
import { GENERIC_DIAGNOSIS_TEXTS } from '../src/providers/generic/texts.js';
import { BACKENDS } from './helpers/databases.js';
import { failure } from './helpers/failures.js';
import { startSalesforceRig, type SalesforceRig } from './helpers/salesforce.js';
import { until } from './helpers/wait.js';

const APP_NOT_FOUND = failure('app_not_found', 'External client app is not installed in this org');
const IP_RESTRICTED = failure('invalid_grant', 'IP restricted or invalid login hours');

describe('the rules, without a database', () => {
  const evidence = (f: typeof APP_NOT_FOUND, ipRestrictedElsewhere?: boolean) => ({
    failure: f,
    classification: classifyProviderFailure(f, salesforceModule.classificationRules),
    namedCause: salesforceModule.namedCause(f),
    providerName: 'Salesforce',
    firstRefreshSinceAuthorization: true,
    rotationUncertain: true,
    newerLiveGrantsForSameProviderUser: 0,
    grantLimit: 5,
    idleSeconds: 60,
    providerIdleLimitS: 30 * 86_400,
    orgSpike: { orgId: '00D000000000001EAA', count: 9, windowS: 600 },
    failedVerification: false,
    importedNeverRefreshed: false,
    ...(ipRestrictedElsewhere === undefined ? {} : { ipRestrictedElsewhere }),
  });

  test('app_not_found is a permanent, grant-level answer that names its cause: no other evidence re-explains it', () => {
    const e = evidence(APP_NOT_FOUND);
    expect(e.classification).toMatchObject({ class: 'permanent', alert: false });
    expect(diagnose(e, salesforceModule.diagnosisTexts)).toMatchObject({ code: 'app_not_installed', who_fixes: 'org_admin', confidence: 'certain' });
    // The code users report at authorize is read the same way.
    expect(salesforceModule.namedCause(failure('OAUTH_EC_APP_NOT_FOUND', null))).toBe('app_not_installed');
  });

  test('an IP refusal is one org\'s policy, unless another org refused too', () => {
    expect(diagnose(evidence(IP_RESTRICTED), salesforceModule.diagnosisTexts)).toMatchObject({ code: 'ip_restricted', who_fixes: 'org_admin', confidence: 'certain' });
    expect(diagnose(evidence(IP_RESTRICTED, false), salesforceModule.diagnosisTexts).code).toBe('ip_restricted');
    const blocked = diagnose(evidence(IP_RESTRICTED, true), salesforceModule.diagnosisTexts);
    expect(blocked).toMatchObject({ code: 'refresh_ip_blocked', who_fixes: 'developer', confidence: 'probable' });
    expect(blocked.fix.join(' ')).toContain('GRANTKEEPER_OUTBOUND_PROXY');
    // Other answers are never re-explained by IP refusals elsewhere.
    expect(diagnose(evidence(failure('invalid_grant', 'inactive user'), true), salesforceModule.diagnosisTexts).code).toBe('user_inactive');
  });

  test('providers without a module of their own have words for both codes', () => {
    for (const code of ['app_not_installed', 'refresh_ip_blocked'] as const) {
      const t = GENERIC_DIAGNOSIS_TEXTS[code]({ provider: 'Acme' });
      expect(t.summary).toContain('Acme');
      expect(t.fix.length).toBeGreaterThan(0);
    }
  });
});

describe.each(BACKENDS)('Salesforce 2026 diagnoses on %s', (backend) => {
  describe('admin-fixable causes, re-probed', () => {
    let rig: SalesforceRig;
    beforeAll(async () => {
      rig = await startSalesforceRig(backend, {
        logName: 'sf2026-diag',
        app: { appType: 'external_client_app' },
        env: { GRANTKEEPER_SCHEDULER_INTERVAL_MS: '100', GRANTKEEPER_REPROBE_BASE_S: '1', GRANTKEEPER_REPROBE_MAX_S: '1' },
      });
    });
    afterAll(async () => {
      await rig?.stop();
    });
    const token = (id: string, query = '') => rig.server.api('GET', `/v1/connections/${id}/token${query}`);
    const mine = async (type: string, id: string) => (await rig.outbox(type)).filter((e) => e.payload.data.connection.id === id);

    test('app not installed in the org: app_not_installed (org admin), confirmed once, re-probed, recovers on install', async () => {
      const org = rig.emu.createOrg({ name: 'No install' }).org_id;
      const user = rig.user(undefined, org);
      const neighbour = rig.user(undefined, rig.emu.createOrg({ name: 'Installed' }).org_id);
      const { id } = await rig.importGrant(user.username);
      const other = await rig.importGrant(neighbour.username);
      expect((await token(id)).status).toBe(200);
      expect((await token(other.id)).status).toBe(200);

      expect(rig.emu.uninstallApp(rig.clientId, org)).toBe(0);
      const refused = await token(id, '?force=true');
      expect(refused.status).toBe(409);
      expect(refused.body.code).toBe('reauth_required');
      expect(refused.body.diagnosis).toMatchObject({ code: 'app_not_installed', who_fixes: 'org_admin', confidence: 'certain' });
      const conn = await rig.connection(id);
      expect(conn.last_error).toMatchObject({ http_status: 400, error: 'app_not_found', error_description: 'External client app is not installed in this org' });
      // Confirmed by one retry, never retried forever as an unknown answer.
      expect(rig.emu.stats().token_errors['app_not_found/External client app is not installed in this org']).toBe(2);
      const announced = await mine('connection.reauth_required', id);
      expect(announced).toHaveLength(1);
      expect(announced[0]!.payload.data.diagnosis.code).toBe('app_not_installed');
      expect((await token(other.id, '?force=true')).status).toBe(200);

      // Re-probed while the app is missing: still dead, nothing announced again.
      await until('a failed re-probe', async () => (await rig.events(id)).some((e) => e.trigger === 'reprobe' && e.outcome === 'permanent_error'));
      expect((await rig.connection(id)).status).toBe('needs_reauth');
      expect(await mine('connection.reauth_required', id)).toHaveLength(1);
      expect(await mine('connection.diagnosis_changed', id)).toHaveLength(0);

      rig.emu.installApp(rig.clientId, org);
      await until('the re-probe that recovers it', async () => (await rig.connection(id)).status === 'active');
      expect(await mine('connection.recovered', id)).toHaveLength(1);
      expect((await rig.connection(id)).diagnosis).toBeNull();
    });

    test('a frozen user: user_inactive (org admin) with the provider\'s answer as evidence; recovers when unfrozen', async () => {
      const user = rig.user();
      const { id } = await rig.importGrant(user.username);
      expect((await token(id)).status).toBe(200);
      rig.emu.freezeUser(user.userId);
      const refused = await token(id, '?force=true');
      expect(refused.status).toBe(409);
      expect(refused.body.diagnosis).toMatchObject({ code: 'user_inactive', who_fixes: 'org_admin' });
      expect(refused.body.diagnosis.fix.join(' ')).toMatch(/[Uu]nfreeze/);
      expect((await rig.connection(id)).last_error).toMatchObject({ error: 'invalid_grant', error_description: 'inactive user' });
      rig.emu.unfreezeUser(user.userId);
      await until('the re-probe that recovers it', async () => (await rig.connection(id)).status === 'active');
    });
  });

  describe('IP refusals across orgs', () => {
    let rig: SalesforceRig;
    beforeAll(async () => {
      rig = await startSalesforceRig(backend, { logName: 'sf2026-ip', env: { GRANTKEEPER_SPIKE_CHECK_INTERVAL_MS: '100' } });
    });
    afterAll(async () => {
      await rig?.stop();
    });
    const token = (id: string, query = '') => rig.server.api('GET', `/v1/connections/${id}/token${query}`);
    const mine = async (type: string, id: string) => (await rig.outbox(type)).filter((e) => e.payload.data.connection.id === id);
    // Addresses the orgs allow; Grantkeeper's calls come from 127.0.0.1, so they are refused.
    const ALLOWLIST = ['203.0.113.7'];

    test('one org refusing is ip_restricted (org admin); a second org makes both refresh_ip_blocked (developer), the first announced once', async () => {
      const [orgA, orgB, orgC] = ['Alpha', 'Beta', 'Gamma'].map((name) => rig.emu.createOrg({ name }).org_id);
      const a = await rig.importGrant(rig.user(undefined, orgA).username);
      const a2 = await rig.importGrant(rig.user(undefined, orgA).username);
      const b = await rig.importGrant(rig.user(undefined, orgB).username);
      const c = await rig.importGrant(rig.user(undefined, orgC).username);
      for (const g of [a, a2, b, c]) expect((await token(g.id)).status).toBe(200);

      rig.emu.setOrgIpRestriction(orgA!, ALLOWLIST);
      for (const g of [a, a2]) {
        const refused = await token(g.id, '?force=true');
        expect(refused.status).toBe(409);
        expect(refused.body.diagnosis).toMatchObject({ code: 'ip_restricted', who_fixes: 'org_admin' });
      }
      // Passes over the window with one org refusing change nothing.
      await rig.server.services.spikes.check();
      expect((await rig.connection(a.id)).diagnosis.code).toBe('ip_restricted');
      expect(await rig.outbox('connection.diagnosis_changed')).toHaveLength(0);

      rig.emu.setOrgIpRestriction(orgB!, ALLOWLIST);
      const second = await token(b.id, '?force=true');
      expect(second.status).toBe(409);
      expect(second.body.diagnosis).toMatchObject({ code: 'refresh_ip_blocked', who_fixes: 'developer', confidence: 'probable' });

      await until('the first org re-explained', async () => {
        for (const g of [a, a2]) if ((await rig.connection(g.id)).diagnosis.code !== 'refresh_ip_blocked') return false;
        return true;
      });
      await rig.server.services.spikes.check();
      for (const g of [a, a2]) {
        const changed = await mine('connection.diagnosis_changed', g.id);
        expect(changed).toHaveLength(1);
        expect(changed[0]!.payload.data).toMatchObject({ previous_diagnosis_code: 'ip_restricted', diagnosis: { code: 'refresh_ip_blocked', who_fixes: 'developer' } });
        // Fixable without the end user: re-probed.
        expect((await rig.connection(g.id)).next_refresh_at).not.toBeNull();
      }
      // The second org was explained right the first time: nothing to change.
      expect(await mine('connection.diagnosis_changed', b.id)).toHaveLength(0);
      expect((await mine('connection.reauth_required', b.id))[0]!.payload.data.diagnosis.code).toBe('refresh_ip_blocked');
      expect((await rig.connection(c.id)).status).toBe('active');

      // Once refreshes leave from an allowed address, an explicit refresh brings a grant back.
      rig.emu.setOrgIpRestriction(orgA!, null);
      const retried = await rig.server.api('POST', `/v1/connections/${a.id}/refresh`);
      expect(retried.status).toBe(200);
      expect((await rig.connection(a.id)).status).toBe('active');
    });
  });
});
