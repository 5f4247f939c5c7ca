// Failure spikes and the diagnoses they change, driven by the Salesforce emulator revoking
// the app for a whole org; on both databases.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BACKENDS } from './helpers/databases.js';
import { startSalesforceRig, type SalesforceRig } from './helpers/salesforce.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { Keyring } from '../src/crypto/keyring.js';
import { until } from './helpers/wait.js';

describe.each(BACKENDS)('failure spikes on %s', (backend) => {
  let rig: SalesforceRig;
  beforeAll(async () => {
    rig = await startSalesforceRig(backend, { logName: 'spikes', env: { GRANTKEEPER_SPIKE_CHECK_INTERVAL_MS: '200' } });
  });
  afterAll(async () => {
    await rig?.stop();
  });

  const token = (id: string, query = '') => rig.server.api('GET', `/v1/connections/${id}/token${query}`);
  const connection = (id: string) => rig.connection(id);

  test('an app revoked for a whole org: one org spike, dead grants re-diagnosed org_wide_revocation, one diagnosis_changed each', async () => {
    const orgA = rig.emu.createOrg({ name: 'Revoking Org' }).org_id;
    const orgB = rig.emu.createOrg({ name: 'Healthy Org' }).org_id;
    const inA: { id: string; refreshToken: string }[] = [];
    for (let i = 0; i < 6; i++) inA.push(await rig.importGrant(rig.user(undefined, orgA).username));
    const inB = [await rig.importGrant(rig.user(undefined, orgB).username), await rig.importGrant(rig.user(undefined, orgB).username)];
    for (const c of inB) expect((await token(c.id)).status).toBe(200);

    expect(rig.emu.revokeAppForOrg(rig.clientId, orgA)).toBe(6);
    const firstDiagnosis = new Map<string, string>();
    for (const c of inA) {
      const res = await token(c.id);
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('reauth_required');
      firstDiagnosis.set(c.id, res.body.diagnosis.code);
    }
    // Without the spike, the first failures can only be explained one by one: imported grants
    // that never refreshed, answered as Salesforce answers a token it does not know.
    expect(firstDiagnosis.get(inA[0]!.id)).toBe('unknown_token');

    const spikes = await until('the spike and the re-diagnoses', async () => {
      const events = await rig.outbox('integration.failure_spike');
      if (events.length === 0) return null;
      for (const c of inA) if ((await connection(c.id)).diagnosis.code !== 'org_wide_revocation') return null;
      return events;
    });
    // A later pass must not announce it again.
    await rig.server.services.spikes.check();
    expect(await rig.outbox('integration.failure_spike')).toHaveLength(1);
    const data = spikes[0]!.payload.data;
    const orgId18 = (await connection(inA[0]!.id)).provider_account.org_id as string;
    expect(orgId18).toHaveLength(18);
    expect(data).toMatchObject({ org_id: orgId18, window_s: 600, integration: { key: rig.integrationKey } });
    expect(data.count).toBeGreaterThanOrEqual(5);
    expect(data.diagnosis).toMatchObject({ code: 'org_wide_revocation', who_fixes: 'org_admin' });
    const aIds = new Set(inA.map((c) => c.id));
    expect(data.connection_ids.length).toBeGreaterThanOrEqual(5);
    for (const id of data.connection_ids) expect(aIds.has(id)).toBe(true);

    const changed = await rig.outbox('connection.diagnosis_changed');
    for (const c of inA) {
      const conn = await connection(c.id);
      expect(conn.status).toBe('needs_reauth');
      expect(conn.diagnosis).toMatchObject({ code: 'org_wide_revocation', who_fixes: 'org_admin' });
      // org_wide_revocation is admin-fixable: the scheduler re-probes it.
      expect(conn.next_refresh_at).not.toBeNull();
      const mine = changed.filter((e) => e.payload.data.connection.id === c.id);
      // Diagnosed `unknown_token` alone → changed once; diagnosed with the spike already known → never.
      expect(mine).toHaveLength(firstDiagnosis.get(c.id) === 'unknown_token' ? 1 : 0);
      for (const e of mine) {
        expect(e.payload.data.diagnosis).toMatchObject({ code: 'org_wide_revocation', who_fixes: 'org_admin' });
        expect(e.payload.data.connection.diagnosis.code).toBe('org_wide_revocation');
      }
    }
    expect(changed.length).toBeGreaterThanOrEqual(4);
    for (const c of inB) expect((await connection(c.id)).status).toBe('active');

    const listed = await rig.server.api('GET', '/v1/spikes?active=true');
    expect(listed.status).toBe(200);
    expect(listed.body.next_cursor).toBeNull();
    expect(listed.body.data).toHaveLength(1);
    expect(listed.body.data[0]).toMatchObject({ integration: rig.integrationKey, org_id: orgId18, active: true, ended_at: null, diagnosis_code: 'org_wide_revocation' });
    expect((await rig.server.api('GET', `/v1/spikes?active=true&integration=${rig.integrationKey}`)).body.data).toHaveLength(1);
    expect((await rig.server.api('GET', '/v1/spikes?active=true&integration=nope')).body).toEqual({ data: [], next_cursor: null });
    expect((await rig.server.api('GET', '/v1/spikes?active=false')).body.data).toHaveLength(0);
    expect((await rig.server.api('GET', '/v1/spikes?active=maybe')).status).toBe(400);
    expect((await rig.server.api('GET', '/v1/spikes?cursor=%%%')).status).toBe(400);
    const metrics = await fetch(`${rig.server.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(new RegExp(`grantkeeper_failure_spikes_total\\{integration="${rig.integrationKey}"\\} 1`));

    // Once the failures leave the window and it stays quiet for a whole window, the spike ends.
    const db = rig.server.ctx.db.kysely;
    await sql`UPDATE events SET at = at - interval '2 hours'`.execute(db);
    // A pass that read the window before the line above may still touch the spike: let it end.
    await rig.server.services.spikes.check();
    await sql`UPDATE spikes SET last_seen_at = last_seen_at - interval '1 hour'`.execute(db);
    await rig.server.services.spikes.check();
    expect((await rig.server.api('GET', '/v1/spikes?active=true')).body.data).toHaveLength(0);
    const ended = (await rig.server.api('GET', '/v1/spikes?active=false')).body.data;
    expect(ended).toHaveLength(1);
    expect(ended[0].ended_at).not.toBeNull();

    // Re-probes of the dead grants fail again: the explanation stands (the spike stays their
    // evidence after it ended), nothing is announced again, and no new spike opens.
    const changedBefore = (await rig.outbox('connection.diagnosis_changed')).length;
    await sql`UPDATE connections SET next_refresh_at = now() WHERE status = 'needs_reauth'`.execute(db);
    const tick = await rig.server.services.scheduler.tick();
    expect(tick.refreshed).toBe(6);
    for (const c of inA) {
      const conn = await connection(c.id);
      expect(conn.diagnosis.code).toBe('org_wide_revocation');
      expect((await rig.server.api('GET', `/v1/connections/${c.id}/events?limit=1`)).body.data[0]).toMatchObject({ trigger: 'reprobe', outcome: 'permanent_error' });
    }
    await rig.server.services.spikes.check();
    expect(await rig.outbox('integration.failure_spike')).toHaveLength(1);
    expect((await rig.outbox('connection.diagnosis_changed')).length).toBe(changedBefore);
  });

  test('grants dying across many orgs: one integration-wide spike (org_id null), diagnoses untouched', async () => {
    const key = `${rig.integrationKey}-many`;
    const created = await rig.server.api('POST', '/v1/integrations', {
      key, provider: 'salesforce', client_id: rig.clientId, client_secret: rig.clientSecret, auth_base_url: rig.emu.url,
    });
    expect(created.status).toBe(201);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const org = rig.emu.createOrg({}).org_id;
      const user = rig.user(undefined, org);
      const tokens = rig.emu.issueTokens({ clientId: rig.clientId, username: user.username });
      const res = await rig.server.api('POST', '/v1/connections', {
        integration: key,
        end_user: { id: user.username },
        credentials: { refresh_token: String(tokens.refresh_token), id_url: String(tokens.id), instance_url: String(tokens.instance_url) },
      });
      expect(res.status).toBe(201);
      rig.emu.revokeApproval(String(tokens.refresh_token));
      ids.push(res.body.id);
    }
    for (const id of ids) expect((await token(id)).status).toBe(409);
    const spike = await until('the integration spike', async () => {
      const events = (await rig.outbox('integration.failure_spike')).filter((e) => e.payload.data.integration.key === key);
      return events.length > 0 ? events : null;
    });
    expect(spike).toHaveLength(1);
    // Imported grants that never refreshed, across many orgs: no org admin to blame.
    expect(spike[0]!.payload.data).toMatchObject({ org_id: null, count: 5, window_s: 600, diagnosis: { code: 'unknown_token', who_fixes: 'developer' } });
    expect([...spike[0]!.payload.data.connection_ids].sort()).toEqual([...ids].sort());
    const changed = (await rig.outbox('connection.diagnosis_changed')).filter((e) => ids.includes(e.payload.data.connection.id));
    expect(changed).toHaveLength(0);
    for (const id of ids) expect((await connection(id)).diagnosis.code).toBe('unknown_token');
    const listed = (await rig.server.api('GET', `/v1/spikes?active=true&integration=${key}`)).body.data;
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ org_id: null, count: 5 });
  });
});

describe('failure spikes seen by two instances on one PostgreSQL', () => {
  let rig: SalesforceRig;
  let second: TestServer;
  beforeAll(async () => {
    rig = await startSalesforceRig('postgres', { logName: 'spikes-two' });
    // The same encryption keys: both instances read the grants the first one stored.
    const keys = Keyring.format(rig.server.ctx.keyring.keys);
    second = await startTestServer('postgres', { GRANTKEEPER_ENCRYPTION_KEYS: keys }, { database: rig.server.database, logName: 'spikes-two-b' });
  });
  afterAll(async () => {
    await second?.stop();
    await rig?.stop();
  });

  test('both look at once: the spike is announced once and each grant re-diagnosed once', async () => {
    const org = rig.emu.createOrg({}).org_id;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await rig.importGrant(rig.user(undefined, org).username)).id);
    rig.emu.revokeAppForOrg(rig.clientId, org);
    // Half the failures through each instance.
    for (const [i, id] of ids.entries()) {
      const server = i % 2 === 0 ? rig.server : second;
      expect((await server.api('GET', `/v1/connections/${id}/token`)).status).toBe(409);
    }
    await Promise.all([rig.server.services.spikes.check(), second.services.spikes.check(), second.services.spikes.check(), rig.server.services.spikes.check()]);
    await until('re-diagnosis everywhere', async () => {
      for (const id of ids) if ((await rig.server.api('GET', `/v1/connections/${id}`)).body.diagnosis.code !== 'org_wide_revocation') return null;
      return true;
    });
    await Promise.all([rig.server.services.spikes.check(), second.services.spikes.check()]);
    expect(await rig.outbox('integration.failure_spike')).toHaveLength(1);
    const changed = await rig.outbox('connection.diagnosis_changed');
    for (const id of ids) expect(changed.filter((e) => e.payload.data.connection.id === id).length).toBeLessThanOrEqual(1);
    expect((await second.api('GET', '/v1/spikes?active=true')).body.data).toHaveLength(1);
  });
});
