// The dashboard's data: refresh outcomes per bucket from the rollup, connection counts by
// status, and fresh reconnect links — against known seeded rows and real refreshes, on both
// databases.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { verifyReconnectSignature } from '../src/model/reconnect-link.js';
import { BACKENDS } from './helpers/databases.js';
import { startSalesforceRig, type SalesforceRig } from './helpers/salesforce.js';

describe.each(BACKENDS)('stats API on %s', (backend) => {
  let rig: SalesforceRig;
  let otherKey: string;
  const integrationId = async (key: string) =>
    (await rig.server.ctx.db.kysely.selectFrom('integrations').select('id').where('key', '=', key).executeTakeFirstOrThrow()).id;
  const seed = async (key: string, rows: [string, string, number][]) => {
    const id = await integrationId(key);
    await rig.server.ctx.db.kysely
      .insertInto('refresh_stats')
      .values(rows.map(([bucket, outcome, count]) => ({ integration_id: id, bucket: new Date(bucket), outcome, count })))
      .execute();
  };

  beforeAll(async () => {
    rig = await startSalesforceRig(backend, { logName: 'stats' });
    otherKey = `${rig.integrationKey}-other`;
    const other = await rig.server.api('POST', '/v1/integrations', {
      key: otherKey, provider: 'salesforce', client_id: 'other-client', client_secret: 'other-secret', auth_base_url: rig.emu.url,
    });
    expect(other.status).toBe(201);
    await seed(rig.integrationKey, [
      ['2026-01-01T10:05:00Z', 'success', 3],
      ['2026-01-01T10:05:00Z', 'transient_error', 1],
      ['2026-01-01T10:59:00Z', 'success', 2],
      ['2026-01-01T11:00:00Z', 'permanent_error', 4],
      ['2026-01-01T11:30:00Z', 'unknown', 1],
      ['2026-01-01T09:59:00Z', 'success', 100], // before the range
      ['2026-01-01T12:00:00Z', 'success', 100], // `to` is exclusive
    ]);
    await seed(otherKey, [['2026-01-01T10:30:00Z', 'success', 7]]);
  });
  afterAll(async () => {
    await rig?.stop();
  });

  const stats = (query: string) => rig.server.api('GET', `/v1/stats/refreshes?${query}`);
  const range = 'from=2026-01-01T10:00:00Z&to=2026-01-01T12:00:00Z';

  test('sums the rollup per hour for one integration, zero-filled, `to` exclusive', async () => {
    const res = await stats(`integration=${rig.integrationKey}&${range}&bucket=hour`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      integration: rig.integrationKey,
      bucket: 'hour',
      from: '2026-01-01T10:00:00.000Z',
      to: '2026-01-01T12:00:00.000Z',
      totals: { success: 5, transient_error: 1, permanent_error: 4, unknown: 1 },
      series: [
        { at: '2026-01-01T10:00:00.000Z', success: 5, transient_error: 1, permanent_error: 0, unknown: 0 },
        { at: '2026-01-01T11:00:00.000Z', success: 0, transient_error: 0, permanent_error: 4, unknown: 1 },
      ],
    });
  });

  test('without an integration it sums every integration', async () => {
    const res = await stats(`${range}&bucket=hour`);
    expect(res.body.integration).toBeNull();
    expect(res.body.series[0]).toMatchObject({ success: 12, transient_error: 1 });
    expect(res.body.totals.success).toBe(12);
  });

  test('minute buckets are zero-filled across the whole range', async () => {
    const res = await stats(`integration=${rig.integrationKey}&${range}&bucket=minute`);
    expect(res.status).toBe(200);
    expect(res.body.series).toHaveLength(120);
    expect(res.body.series[5]).toEqual({ at: '2026-01-01T10:05:00.000Z', success: 3, transient_error: 1, permanent_error: 0, unknown: 0 });
    expect(res.body.series[59].success).toBe(2);
    expect(res.body.series.filter((p: any) => p.success + p.transient_error + p.permanent_error + p.unknown > 0)).toHaveLength(4);
  });

  test('day buckets are UTC days; `from` is rounded down to its bucket', async () => {
    const res = await stats(`integration=${rig.integrationKey}&from=2026-01-01T10:30:00%2B02:00&to=2026-01-03T00:00:00Z&bucket=day`);
    expect(res.status).toBe(200);
    expect(res.body.from).toBe('2026-01-01T00:00:00.000Z');
    expect(res.body.series.map((p: any) => p.at)).toEqual(['2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z']);
    expect(res.body.series[0]).toMatchObject({ success: 205, transient_error: 1, permanent_error: 4, unknown: 1 });
  });

  test('defaults: hourly buckets over the last 24 hours', async () => {
    const res = await stats('');
    expect(res.status).toBe(200);
    expect(res.body.bucket).toBe('hour');
    expect(res.body.series.length).toBeGreaterThanOrEqual(24);
    expect(res.body.series.length).toBeLessThanOrEqual(25);
    expect(Date.parse(res.body.to) - Date.parse(res.body.series[0].at)).toBeLessThanOrEqual(25 * 3_600_000);
  });

  test.each([
    ['a malformed from', 'from=yesterday', 'querystring.from'],
    ['a timestamp without offset', 'from=2026-01-01T10:00:00', 'querystring.from'],
    ['a malformed to', 'to=2026-13-45T99:00:00Z', 'querystring.to'],
    ['from after to', 'from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', 'querystring.from'],
    ['more than 2000 buckets', 'from=2026-01-01T00:00:00Z&to=2026-01-08T00:00:00Z&bucket=minute', 'querystring.bucket'],
    ['an unknown bucket', 'bucket=week', 'querystring.bucket'],
    ['an unknown parameter', 'colour=blue', 'querystring.colour'],
  ])('400 for %s', async (_name, query, field) => {
    const res = await stats(query);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.errors.map((e: any) => e.field)).toContain(field);
  });

  test('404 for an unknown integration; 401 without a key', async () => {
    expect((await stats('integration=nope')).status).toBe(404);
    const anonymous = await fetch(`${rig.server.url}/v1/stats/refreshes`);
    expect(anonymous.status).toBe(401);
  });

  test('real refreshes are counted: a success and a confirmed permanent failure', async () => {
    const healthy = await rig.importGrant(rig.user().username);
    const dead = await rig.importGrant(rig.user().username);
    expect((await rig.server.api('GET', `/v1/connections/${healthy.id}/token`)).status).toBe(200);
    rig.emu.revokeApproval(dead.refreshToken);
    expect((await rig.server.api('GET', `/v1/connections/${dead.id}/token`)).status).toBe(409);
    const res = await stats(`integration=${rig.integrationKey}&bucket=minute&from=${new Date(Date.now() - 10 * 60_000).toISOString()}`);
    expect(res.status).toBe(200);
    // One success; the permanent error is confirmed by one retry: two refresh operations
    // ended in permanent_error (each attempt is an outcome in the rollup).
    expect(res.body.totals.success).toBe(1);
    expect(res.body.totals.permanent_error).toBeGreaterThanOrEqual(1);
    expect(res.body.totals.transient_error).toBe(0);
  });

  test('connection counts by status, integration_error derived from the integration', async () => {
    const before = (await rig.server.api('GET', `/v1/stats/connections?integration=${rig.integrationKey}`)).body;
    const extra = [await rig.importGrant(rig.user().username), await rig.importGrant(rig.user().username), await rig.importGrant(rig.user().username)];
    await rig.server.ctx.db.kysely.updateTable('connections').set({ status: 'refresh_failing' }).where('id', '=', uuidOf(extra[0]!.id)).execute();
    const res = await rig.server.api('GET', `/v1/stats/connections?integration=${rig.integrationKey}`);
    expect(res.status).toBe(200);
    expect(res.body.counts).toEqual({
      active: before.counts.active + 2,
      refresh_failing: before.counts.refresh_failing + 1,
      needs_reauth: before.counts.needs_reauth,
      integration_error: 0,
    });
    expect(res.body.counts.needs_reauth).toBeGreaterThanOrEqual(1); // the revoked grant above
    expect(res.body.integrations).toHaveLength(1);
    expect(res.body.integrations[0]).toMatchObject({ integration: rig.integrationKey, status: 'ok', total: res.body.total });

    // Connections of an integration in `error` all count as integration_error.
    const otherConn = await rig.server.api('POST', '/v1/connections', { integration: otherKey, end_user: { id: 'u-other' }, credentials: { refresh_token: 'other-refresh-token-1' } });
    expect(otherConn.status).toBe(201);
    await rig.server.ctx.db.kysely.updateTable('integrations').set({ status: 'error' }).where('key', '=', otherKey).execute();
    const all = await rig.server.api('GET', '/v1/stats/connections');
    const other = all.body.integrations.find((i: any) => i.integration === otherKey);
    expect(other).toMatchObject({ status: 'error', counts: { active: 0, refresh_failing: 0, needs_reauth: 0, integration_error: 1 }, total: 1 });
    expect(all.body.counts.integration_error).toBe(1);
    expect(all.body.total).toBe(res.body.total + 1);
    expect((await rig.server.api('GET', '/v1/stats/connections?integration=nope')).status).toBe(404);
  });

  test('a fresh reconnect link for a connection, signed and verifiable; 404 for unknown ids', async () => {
    const { id } = await rig.importGrant(rig.user().username);
    const res = await rig.server.api('POST', `/v1/connections/${id}/reconnect-link`);
    expect(res.status).toBe(200);
    const url = new URL(res.body.url);
    expect(`${url.origin}${url.pathname}`).toBe(`${rig.server.ctx.config.publicUrl}/reconnect/${id}`);
    expect(verifyReconnectSignature(rig.server.ctx.keyring, id, url.searchParams.get('sig')!)).toEqual({ ok: true });
    const ttlMs = Date.parse(res.body.expires_at) - Date.now();
    expect(ttlMs).toBeGreaterThan((rig.server.ctx.config.connect.reconnectLinkTtlS - 60) * 1000);
    expect((await rig.server.api('POST', '/v1/connections/conn_00000000000000000000000000000000/reconnect-link')).status).toBe(404);
    expect((await rig.server.api('POST', '/v1/connections/garbage/reconnect-link')).status).toBe(404);
  });
});

function uuidOf(publicId: string): string {
  const hex = publicId.slice('conn_'.length);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
