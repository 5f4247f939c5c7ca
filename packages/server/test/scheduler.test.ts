// The scheduler against the Salesforce emulator: keepalive beats an idle-expiry policy,
// idle_expired is diagnosed from evidence, admin-fixable dead grants are re-probed and dead
// ones cost nothing, the shared rate limit holds, three processes on one PostgreSQL never
// refresh a connection twice, and the claim uses the partial index at 100k rows.
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startSalesforceEmulator, type SalesforceEmulator } from '@grantkeeper/salesforce-emulator';
import { claimDueQuery } from '../src/db/scheduler/claim-due.js';
import { takeRateTokens } from '../src/db/scheduler/rate-bucket.js';
import { bucketCapacity, RateLimiter } from '../src/refresh/rate-limit.js';
import { fromPublicId } from '../src/model/ids.js';
import { BACKENDS, createPostgresDatabase } from './helpers/databases.js';
import { startSalesforceRig, type SalesforceRig } from './helpers/salesforce.js';
import { spawnServer, type ServerProcess } from './helpers/processes.js';
import { testEncryptionKeys } from './helpers/server.js';
import { until } from './helpers/wait.js';

describe.each(BACKENDS)('scheduler on %s', (backend) => {
  let rig: SalesforceRig;
  beforeAll(async () => {
    rig = await startSalesforceRig(backend, {
      logName: 'scheduler',
      env: { GRANTKEEPER_SCHEDULER_INTERVAL_MS: '100', GRANTKEEPER_REPROBE_BASE_S: '1', GRANTKEEPER_REPROBE_MAX_S: '1' },
      integration: { refresh: { keepalive_s: 2, margin_s: 1 } },
    });
  });
  afterAll(async () => {
    await rig?.stop();
  });

  const db = () => rig.server.ctx.db.kysely;
  const token = (id: string, query = '') => rig.server.api('GET', `/v1/connections/${id}/token${query}`);
  const connection = (id: string) => rig.connection(id);
  const events = (id: string) => rig.events(id, 200);
  const scheduledRefreshes = async (id: string) => (await events(id)).filter((e) => e.type === 'refresh' && e.trigger === 'scheduled' && e.outcome === 'success').length;

  test('keepalive keeps a grant alive under "expire if not used for 5 s" (the emulator clock decides expiry)', async () => {
    rig.emu.clock.freeze(true);
    try {
      // Control: with no refresh between, 6 s of emulator time kill a grant under this policy.
      const victim = rig.user();
      rig.emu.setUserPolicy(victim.userId, { refreshTokenPolicy: { idle_s: 5 } });
      const dead = await rig.importGrant(victim.username);
      rig.emu.clock.advance(6_000);
      const refused = await token(dead.id, '?force=true');
      expect(refused.status).toBe(409);

      const kept = rig.user();
      rig.emu.setUserPolicy(kept.userId, { refreshTokenPolicy: { idle_s: 5 } });
      const { id } = await rig.importGrant(kept.username);
      // Four keepalive periods; after each scheduled refresh 4 s of emulator time pass: 16 s in all.
      for (let round = 1; round <= 4; round++) {
        await until(`scheduled refresh ${round}`, async () => (await scheduledRefreshes(id)) >= round);
        rig.emu.clock.advance(4_000);
      }
      const conn = await connection(id);
      expect(conn.status).toBe('active');
      expect(conn.next_refresh_at).not.toBeNull();
      const forced = await token(id, '?force=true');
      expect(forced.status).toBe(200);
    } finally {
      rig.emu.clock.freeze(false);
    }
  });

  test('a grant unused longer than the provider idle limit dies as idle_expired (end_user, prevention: keepalive)', async () => {
    const user = rig.user();
    // Salesforce's known idle limit is 30 days (the catalog); the org enforces it here.
    rig.emu.setUserPolicy(user.userId, { refreshTokenPolicy: { idle_s: 30 * 86_400 } });
    const { id } = await rig.importGrant(user.username);
    expect((await token(id)).status).toBe(200);
    // The scheduler is off for this grant, 31 days pass at the provider and, in the stored
    // history, on our side (the server clock cannot be advanced, so the row is aged).
    await sql`UPDATE connections SET next_refresh_at = NULL, last_refreshed_at = last_refreshed_at - interval '31 days',
              created_at = created_at - interval '31 days' WHERE id = ${rowId(id)}`.execute(db());
    rig.emu.clock.advance(31 * 86_400_000);
    const res = await token(id, '?force=true');
    expect(res.status).toBe(409);
    expect(res.body.diagnosis).toMatchObject({ code: 'idle_expired', who_fixes: 'end_user' });
    expect(res.body.diagnosis.prevention.some((p: any) => /keepalive/i.test(p.step))).toBe(true);
    const announced = (await rig.outbox('connection.reauth_required')).filter((e) => e.payload.data.connection.id === id);
    expect(announced).toHaveLength(1);
    expect(announced[0]!.payload.data.diagnosis.code).toBe('idle_expired');

    // The same failure after a short idle period is not blamed on idleness.
    const other = rig.user();
    const second = await rig.importGrant(other.username);
    expect((await token(second.id)).status).toBe(200);
    rig.emu.revokeApproval(second.refreshToken);
    const revoked = await token(second.id, '?force=true');
    expect(revoked.body.diagnosis.code).toBe('revoked');
  });

  test('an admin-fixable dead grant is re-probed and recovers; a revoked one is never claimed again', async () => {
    const fixable = rig.user();
    const a = await rig.importGrant(fixable.username);
    expect((await token(a.id)).status).toBe(200);
    rig.emu.deactivateUser(fixable.userId);
    const dead = await token(a.id, '?force=true');
    expect(dead.body.diagnosis).toMatchObject({ code: 'user_inactive', who_fixes: 'org_admin' });
    expect((await connection(a.id)).next_refresh_at).not.toBeNull();
    // Still inactive: the re-probe fails and is rescheduled, status unchanged.
    await until('a failed re-probe', async () => (await events(a.id)).some((e) => e.trigger === 'reprobe'));
    expect((await connection(a.id)).status).toBe('needs_reauth');
    rig.emu.reactivateUser(fixable.userId);
    await until('recovery by re-probe', async () => (await connection(a.id)).status === 'active');
    const recovered = (await rig.outbox('connection.recovered')).filter((e) => e.payload.data.connection.id === a.id);
    expect(recovered).toHaveLength(1);

    const gone = rig.user();
    const b = await rig.importGrant(gone.username);
    rig.emu.revokeApproval(b.refreshToken);
    expect((await token(b.id)).status).toBe(409);
    const row = await db().selectFrom('connections').select(['next_refresh_at']).where('id', '=', rowId(b.id)).executeTakeFirstOrThrow();
    expect(row.next_refresh_at).toBeNull();
    const attempts = (await events(b.id)).length;
    // Three whole passes of the real scheduler, each starting after the grant died, leave it alone.
    await rig.server.services.scheduler.worker.afterPasses(3);
    expect((await events(b.id)).length).toBe(attempts);
  });

  test('a re-probe that finds another cause announces connection.diagnosis_changed once', async () => {
    const user = rig.user();
    const { id } = await rig.importGrant(user.username);
    expect((await token(id)).status).toBe(200);
    rig.emu.deactivateUser(user.userId);
    expect((await token(id, '?force=true')).body.diagnosis.code).toBe('user_inactive');
    // The admin reactivates the user, but the password changed meanwhile: now the end user must act.
    rig.emu.reactivateUser(user.userId);
    rig.emu.changePassword(user.userId);
    const conn = await until('the re-probe', async () => {
      const c = await connection(id);
      return c.diagnosis.code === 'credentials_changed' ? c : null;
    });
    expect(conn).toMatchObject({ status: 'needs_reauth', diagnosis: { who_fixes: 'end_user' } });
    // credentials_changed is not admin-fixable: no more re-probes.
    expect(conn.next_refresh_at).toBeNull();
    const changed = (await rig.outbox('connection.diagnosis_changed')).filter((e) => e.payload.data.connection.id === id);
    expect(changed).toHaveLength(1);
    expect(changed[0]!.payload.data.diagnosis).toMatchObject({ code: 'credentials_changed', who_fixes: 'end_user' });
    expect(changed[0]!.payload.data.connection.status).toBe('needs_reauth');
  });
});

describe.each(BACKENDS)('the cost of a scheduled refresh on %s', (backend) => {
  // Only this test's connections fall due (default keepalive), and the rate limit is far
  // away: what is counted is the refreshes, the scheduler's idle claims and the other workers.
  let rig: SalesforceRig;
  beforeAll(async () => {
    rig = await startSalesforceRig(backend, {
      logName: 'scheduler-cost',
      // Idle passes cost a claim each: a slower interval keeps them from dominating a short run.
      env: { GRANTKEEPER_SCHEDULER_INTERVAL_MS: '500' },
      integration: { refresh: { max_per_s: 1000 } },
    });
  });
  afterAll(async () => {
    await rig?.stop();
  });

  test('a scheduled refresh costs at most 4 database round trips: the claim reads and leases, the intent and the commit are one statement each', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) ids.push(fromPublicId('connection', (await rig.importGrant(rig.user().username)).id)!);
    // One statement per look; every statement of the instance counts, its other workers' too.
    const finished = async () =>
      (
        await sql<{ mine: number; all: number }>`
          SELECT count(*) FILTER (WHERE connection_id IN (${sql.join(ids)}))::int AS mine, count(*)::int AS all
          FROM events WHERE type = 'refresh' AND trigger IN ('scheduled', 'reprobe') AND outcome <> 'in_flight'`.execute(rig.server.ctx.db.kysely)
      ).rows[0]!;
    const before = await finished();
    const statementsBefore = rig.server.ctx.db.statements();
    let ours = 1;
    await sql`UPDATE connections SET next_refresh_at = now() WHERE id IN (${sql.join(ids)})`.execute(rig.server.ctx.db.kysely);
    let after = before;
    await until('the 60 scheduled refreshes', async () => {
      ours++;
      after = await finished();
      return after.mine - before.mine >= 60;
    });
    const refreshes = after.all - before.all;
    const perRefresh = (rig.server.ctx.db.statements() - statementsBefore - ours) / refreshes;
    process.stdout.write(`${backend}: ${perRefresh.toFixed(2)} statements per scheduled refresh over ${refreshes}\n`);
    expect(perRefresh).toBeLessThanOrEqual(4);
  });

});

describe.each(BACKENDS)('shared rate limit on %s', (backend) => {
  let rig: SalesforceRig;
  beforeAll(async () => {
    rig = await startSalesforceRig(backend, {
      logName: 'scheduler-rate',
      env: { GRANTKEEPER_SCHEDULER_INTERVAL_MS: '100', GRANTKEEPER_RATE_HALVING_MS: '60000' },
      integration: { refresh: { max_per_s: 5 } },
    });
  });
  afterAll(async () => {
    await rig?.stop();
  });

  test('scheduled refreshes stay within max_per_s', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) ids.push((await rig.importGrant(rig.user().username)).id);
    rig.emu.resetStats();
    await sql`UPDATE connections SET next_refresh_at = now()`.execute(rig.server.ctx.db.kysely);
    await until('25 scheduled refreshes', async () => rig.emu.stats().refreshes >= 25);
    const stats = rig.emu.stats();
    expect(stats.refreshes).toBe(25);
    process.stdout.write(`scheduled refreshes at max_per_s 5: emulator peak ${stats.peak_refreshes_per_s}/s\n`);
    // A bucket of a tenth of a second's worth plus a little timing slack between our clock and the emulator's.
    expect(stats.peak_refreshes_per_s).toBeGreaterThanOrEqual(2);
    expect(stats.peak_refreshes_per_s).toBeLessThanOrEqual(5 + 2);
  });

  test("a provider 429 halves the integration's rate for everyone", async () => {
    const integration = await rig.server.ctx.db.kysely.selectFrom('integrations').selectAll().where('key', '=', rig.integrationKey).executeTakeFirstOrThrow();
    const { id } = await rig.importGrant(rig.user().username);
    rig.emu.setRateLimit({ maxPerS: 1, style: '429' });
    try {
      for (let i = 0; i < 3; i++) await rig.server.api('GET', `/v1/connections/${id}/token?force=true`);
      const stats = rig.emu.stats();
      expect(stats.rate_limited).toBeGreaterThan(0);
    } finally {
      rig.emu.setRateLimit(null);
    }
    const bucket = await rig.server.ctx.db.kysely.selectFrom('rate_buckets').selectAll().where('integration_id', '=', integration.id).executeTakeFirstOrThrow();
    expect(bucket.halved_until!.getTime()).toBeGreaterThan(Date.now());
    const taken = await takeRateTokens(rig.server.ctx.db.kysely, integration.id, 1, 5, bucketCapacity(5));
    expect(taken!.rate).toBe(2.5);
  });

  test('on-demand refreshes overdraw the shared bucket, down to one overdraft period of debt', async () => {
    // An integration of its own, so no scheduled work touches its bucket meanwhile.
    const key = `${rig.integrationKey}-od`;
    const created = await rig.server.api('POST', '/v1/integrations', {
      key, provider: 'salesforce', client_id: rig.clientId, client_secret: rig.clientSecret, auth_base_url: rig.emu.url, refresh: { max_per_s: 5 },
    });
    expect(created.status).toBe(201);
    const integration = await rig.server.ctx.db.kysely.selectFrom('integrations').selectAll().where('key', '=', key).executeTakeFirstOrThrow();
    const limiter = new RateLimiter(rig.server.ctx);
    // Six at once against a bucket of one: five go into debt (each waits at most the overdraft limit).
    await Promise.all(Array.from({ length: 6 }, () => limiter.overdraw(integration.id, 5)));
    const bucket = await rig.server.ctx.db.kysely.selectFrom('rate_buckets').select('tokens').where('integration_id', '=', integration.id).executeTakeFirstOrThrow();
    expect(bucket.tokens).toBeLessThanOrEqual(-4);
    expect(bucket.tokens).toBeGreaterThanOrEqual(-5); // the debt is capped at one overdraft period's worth
  });

  test('on shutdown the scheduler stops claiming, finishes what it started and hands the rest back', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 15; i++) ids.push(fromPublicId('connection', (await rig.importGrant(rig.user().username)).id)!);
    const db = rig.server.ctx.db.kysely;
    await sql`UPDATE connections SET next_refresh_at = now() WHERE id IN (${sql.join(ids)})`.execute(db);
    const refreshed = async () =>
      (await db.selectFrom('connections').select('id').where('id', 'in', ids).where('last_refreshed_at', 'is not', null).execute()).length;
    await until('the first scheduled refreshes', async () => (await refreshed()) >= 2);
    await rig.server.services.scheduler.stop();
    const done = await refreshed();
    // 5 a second: stopped well before all 15 were done.
    expect(done).toBeLessThan(15);
    const rows = await db.selectFrom('connections').select(['id', 'last_refreshed_at', 'next_refresh_at', 'claimed_by', 'refresh_intent_id']).where('id', 'in', ids).execute();
    const now = Date.now() + 1000; // database and test clocks are one machine's
    for (const row of rows) {
      expect(row.refresh_intent_id).toBeNull(); // nothing left in flight
      // Refreshed, or due again for any instance: never parked behind a claim nobody works on.
      if (row.last_refreshed_at === null) expect(row.next_refresh_at!.getTime()).toBeLessThanOrEqual(now);
    }
    // Stopped means nothing is left to happen: no refresh in flight, and a wake runs no pass.
    const { scheduler, engine } = rig.server.services;
    const passes = scheduler.worker.passes;
    scheduler.worker.wake();
    expect(scheduler.worker.busy).toBe(false);
    expect(scheduler.worker.passes).toBe(passes);
    expect(engine.inFlight).toBe(0);
    expect(await refreshed()).toBe(done);
  });
});

describe('three processes on one PostgreSQL', () => {
  const KEY = 'gk_sk_scheduler_test_key_00001';
  let emu: SalesforceEmulator;
  let servers: ServerProcess[] = [];
  let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
  beforeAll(async () => {
    database = await createPostgresDatabase();
    emu = await startSalesforceEmulator({ port: 0 });
    const env = {
      GRANTKEEPER_DATABASE_URL: database.url,
      GRANTKEEPER_SECRET_KEY: KEY,
      GRANTKEEPER_ENCRYPTION_KEYS: testEncryptionKeys(),
      GRANTKEEPER_ALLOW_PRIVATE_NETWORK: 'true',
      GRANTKEEPER_SCHEDULER_INTERVAL_MS: '100',
      GRANTKEEPER_SCHEDULER_BATCH_SIZE: '4',
      GRANTKEEPER_SCHEDULER_CONCURRENCY: '2',
    };
    servers = await Promise.all([0, 1, 2].map((i) => spawnServer({ ...env, GRANTKEEPER_INSTANCE_ID: `sched${i}` }, `scheduler-p${i}`)));
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.kill('SIGKILL')));
    await emu?.close();
    await database?.drop();
  });

  test('every due connection is refreshed exactly once, by one of them', async () => {
    const call = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${servers[0]!.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${KEY}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: response.status, body: (await response.json()) as any };
    };
    const clientId = `3MVG9sched${Date.now()}`;
    emu.createApp({ clientId, clientSecret: 'sched-secret', callbackUrls: ['http://localhost/cb'] });
    expect((await call('POST', '/v1/integrations', { key: 'sched', provider: 'salesforce', client_id: clientId, client_secret: 'sched-secret', auth_base_url: emu.url, refresh: { max_per_s: 1000 } })).status).toBe(201);
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) {
      const user = emu.createUser({ username: `sched${i}@example.com` });
      const tokens = emu.issueTokens({ clientId, username: user.username });
      const res = await call('POST', '/v1/connections', {
        integration: 'sched', end_user: { id: user.username },
        credentials: { refresh_token: String(tokens.refresh_token), id_url: String(tokens.id), instance_url: String(tokens.instance_url) },
      });
      expect(res.status).toBe(201);
      ids.push(res.body.id);
    }
    emu.setLatency(30);
    const before = emu.stats().refresh_attempts;
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query('UPDATE connections SET next_refresh_at = now()');
      await until('60 scheduled refreshes', async () => {
        const r = await client.query(`SELECT count(*)::int AS n FROM events WHERE trigger = 'scheduled' AND outcome = 'success'`);
        return r.rows[0].n >= 60;
      });
      // Two more whole scheduler passes on every instance (counted on /metrics; the one running
      // at the first read may have started earlier): none of them refreshes anything again.
      await Promise.all(servers.map(async (server) => {
        const seen = await schedulerPasses(server.url);
        await until(`two more scheduler passes on ${server.url}`, async () => (await schedulerPasses(server.url)) >= seen + 3);
      }));
      const perConnection = await client.query(
        `SELECT connection_id, count(*)::int AS n FROM events WHERE type = 'refresh' AND trigger = 'scheduled' GROUP BY connection_id`,
      );
      expect(perConnection.rows).toHaveLength(60);
      expect(perConnection.rows.every((row) => row.n === 1)).toBe(true);
      expect(emu.stats().refresh_attempts - before).toBe(60);
      const instances = await client.query(`SELECT DISTINCT instance_id FROM events WHERE trigger = 'scheduled'`);
      expect(instances.rows.length).toBeGreaterThanOrEqual(2);
      const claimedBy = await client.query(`SELECT DISTINCT claimed_by FROM connections`);
      expect(claimedBy.rows.map((r) => r.claimed_by).every((c: string) => /^sched[012]$/.test(c))).toBe(true);
    } finally {
      emu.setLatency(0);
      await client.end();
    }
  });
});

describe('the claim at 100k connections (PostgreSQL)', () => {
  test('uses the partial index connections_due with 1 % due', async () => {
    const database = await createPostgresDatabase();
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query(`INSERT INTO integrations (id, key, provider, client_id, scopes, refresh)
                          VALUES ('00000000-0000-4000-8000-000000000001', 'bulk', 'salesforce', 'c', '[]', '{}')`);
      await client.query(`INSERT INTO connections (id, integration_id, end_user_id, next_refresh_at)
                          SELECT gen_random_uuid(), '00000000-0000-4000-8000-000000000001', 'u' || g,
                                 CASE WHEN g % 100 = 0 THEN now() - interval '1 minute'
                                      WHEN g % 10 = 1 THEN NULL
                                      ELSE now() + (g || ' seconds')::interval END
                          FROM generate_series(1, 100000) AS g`);
      await client.query('ANALYZE connections');
      const { Kysely, PostgresDialect } = await import('kysely');
      const compiler = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url, max: 1 }) }) });
      const compiled = claimDueQuery(compiler, 'explain', 100, 120, { ttlMs: 30_000, graceS: 60 }).compile();
      await compiler.destroy();
      await client.query('BEGIN');
      const plan = await client.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${compiled.sql}`, compiled.parameters as unknown[]);
      await client.query('ROLLBACK');
      const text = JSON.stringify(plan.rows[0]['QUERY PLAN']);
      expect(text).toContain('"Index Name":"connections_due"');
      expect(seqScansOn(plan.rows[0]['QUERY PLAN'], 'connections')).toBe(0);
      process.stdout.write(`claim plan at 100k rows: ${text.slice(0, 400)}…\n`);
    } finally {
      await client.end();
      await database.drop();
    }
  });
});

/** Scheduler passes a server process has finished, from its Prometheus metrics. */
async function schedulerPasses(url: string): Promise<number> {
  const text = await fetch(`${url}/metrics`).then((r) => r.text());
  let passes = 0;
  for (const match of text.matchAll(/^grantkeeper_worker_passes_total\{[^}]*worker="scheduler"[^}]*\} (\d+)$/gm)) passes += Number(match[1]);
  return passes;
}

function rowId(publicId: string): string {
  return fromPublicId('connection', publicId)!;
}

/** Sequential scans of a relation anywhere in an EXPLAIN (FORMAT JSON) plan. */
function seqScansOn(plan: unknown, relation: string): number {
  if (Array.isArray(plan)) return plan.reduce((n: number, p) => n + seqScansOn(p, relation), 0);
  if (!plan || typeof plan !== 'object') return 0;
  const node = plan as Record<string, unknown>;
  let n = node['Node Type'] === 'Seq Scan' && node['Relation Name'] === relation ? 1 : 0;
  for (const value of Object.values(node)) if (typeof value === 'object') n += seqScansOn(value, relation);
  return n;
}
