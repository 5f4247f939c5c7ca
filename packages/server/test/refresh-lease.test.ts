// A lease that is lost while the provider call runs is never silent: the renewal that finds
// it taken is logged and counted, the stored outcome says so, and the compare-and-set on
// `generation` still decides what is written.
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { fromPublicId } from '../src/model/ids.js';
import { BACKENDS } from './helpers/databases.js';
import { startSalesforceRig, type SalesforceRig } from './helpers/salesforce.js';
import { until } from './helpers/wait.js';

const renewalsFailed = (text: string, reason: string) =>
  Number(new RegExp(`grantkeeper_lease_renewals_failed_total\\{reason="${reason}"\\} (\\d+)`).exec(text)?.[1] ?? 0);

describe.each(BACKENDS)('refresh lease on %s', (backend) => {
  let rig: SalesforceRig;
  beforeAll(async () => {
    // A 300 ms lease is renewed every 100 ms, so a slow provider call sees several renewals.
    rig = await startSalesforceRig(backend, { logName: 'refresh-lease', env: { GRANTKEEPER_LEASE_TTL_MS: '300', GRANTKEEPER_LOG_LEVEL: 'warn' } });
  });
  afterAll(async () => {
    await rig?.stop();
  });
  afterEach(() => rig.emu.setLatency(0));

  const metrics = async () => (await fetch(`${rig.server.url}/metrics`)).text();
  const lease = (id: string) =>
    rig.server.ctx.db.kysely.selectFrom('connections').select(['lease_owner', 'generation']).where('id', '=', id).executeTakeFirstOrThrow();

  test('another holder taking the lease mid-call is counted, logged and recorded on the event; the grant is still stored', async () => {
    const { id } = await rig.importGrant(rig.user().username);
    const rowId = fromPublicId('connection', id)!;
    const lostBefore = renewalsFailed(await metrics(), 'lost');
    rig.emu.setLatency(1500);
    const pending = rig.server.api('GET', `/v1/connections/${id}/token`);
    // Wait until our instance holds the lease, then hand it to someone else in the database.
    await until('the lease to be taken', async () => (await lease(rowId)).lease_owner === rig.server.ctx.config.instanceId);
    await rig.server.ctx.db.kysely.updateTable('connections').set({ lease_owner: 'another-instance' }).where('id', '=', rowId).execute();
    await until('a renewal to notice', async () => renewalsFailed(await metrics(), 'lost') > lostBefore);

    const res = await pending;
    // Nobody else stored a grant, so the generation check lets ours in: the rotated token is kept.
    expect(res.status).toBe(200);
    expect(res.body.generation).toBe(2);
    const events = (await rig.server.api('GET', `/v1/connections/${id}/events`)).body.data as { type: string; outcome: string; detail: Record<string, unknown> }[];
    const refresh = events.find((e) => e.type === 'refresh')!;
    expect(refresh.outcome).toBe('success');
    expect(refresh.detail).toMatchObject({ lease_lost: true });
    expect(renewalsFailed(await metrics(), 'lost')).toBe(lostBefore + 1); // the renewals stop once the lease is gone
    await until('the log lines to be written', () => readFileSync(rig.server.logFile, 'utf8').includes('refresh committed after its lease was lost'));
    const logs = readFileSync(rig.server.logFile, 'utf8');
    expect(logs).toContain('refresh lease lost while the provider call runs');
    expect(logs).not.toContain(res.body.access_token);
  });

  test('a lease kept to the end leaves no trace of loss', async () => {
    const { id } = await rig.importGrant(rig.user().username);
    const lostBefore = renewalsFailed(await metrics(), 'lost');
    rig.emu.setLatency(700); // several renewals, all ours
    const res = await rig.server.api('GET', `/v1/connections/${id}/token`);
    expect(res.status).toBe(200);
    const events = (await rig.server.api('GET', `/v1/connections/${id}/events`)).body.data as { type: string; detail: Record<string, unknown> }[];
    expect(events.find((e) => e.type === 'refresh')!.detail.lease_lost).toBeUndefined();
    expect(renewalsFailed(await metrics(), 'lost')).toBe(lostBefore);
    expect((await lease(fromPublicId('connection', id)!)).lease_owner).toBeNull();
  });
});
