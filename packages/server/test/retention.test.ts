// Retention: every table that grows on its own is pruned by its rule (docs/operations.md),
// in statements of at most 500 rows; recent rows, anything still pending and live evidence
// stay. On both databases.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { pruneIdempotencyKeys } from '../src/db/idempotency/idempotency-keys.js';
import { countNewerLiveGrants } from '../src/db/grant-ledger/count-newer-live-grants.js';
import { pruneRevokedApiKeys } from '../src/db/retention/prune-api-keys.js';
import { pruneConnectSessions } from '../src/db/retention/prune-connect-sessions.js';
import { pruneGrantLedger } from '../src/db/retention/prune-grant-ledger.js';
import { pruneRefreshStats } from '../src/db/retention/prune-refresh-stats.js';
import { pruneRetiredGrants } from '../src/db/retention/prune-retired-grants.js';
import { pruneRevocations } from '../src/db/retention/prune-revocations.js';
import { pruneAuthFailures } from '../src/db/retention/prune-auth-failures.js';
import { pruneSessionRevocations } from '../src/db/retention/prune-session-revocations.js';
import { BACKENDS } from './helpers/databases.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { newRowId } from '../src/model/ids.js';

/** Rows a table holds in bulk per test: more than two batches. */
const BULK = 1200;
const NOTHING = {
  events: 0, deliveries: 0, outbox: 0, spikes: 0, idempotencyKeys: 0,
  connectSessions: 0, revocations: 0, grantLedger: 0, refreshStats: 0, revokedApiKeys: 0, retiredGrants: 0, previousClientSecrets: 0,
  sessionRevocations: 0, authFailures: 0, auditEvents: 0,
};

describe.each(BACKENDS)('retention on %s', (backend) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(backend, {
      GRANTKEEPER_RETENTION_DAYS: '30',
      GRANTKEEPER_RETENTION_BATCH_SIZE: '500',
      GRANTKEEPER_IDEMPOTENCY_TTL_S: '86400',
      GRANTKEEPER_CONNECT_SESSION_RETENTION_DAYS: '7',
      GRANTKEEPER_REVOCATION_RETENTION_DAYS: '30',
      GRANTKEEPER_GRANT_LEDGER_RETENTION_DAYS: '60',
      GRANTKEEPER_REFRESH_STATS_RETENTION_DAYS: '14',
      GRANTKEEPER_REVOKED_API_KEY_RETENTION_DAYS: '10',
      GRANTKEEPER_RETIRED_GRANT_RETENTION_DAYS: '90',
      GRANTKEEPER_LOGIN_WINDOW_S: '600',
      // The webhook worker would fan the not-yet-fanned-out row out while the test looks.
      GRANTKEEPER_WEBHOOK_POLL_INTERVAL_MS: '3600000',
    }, { logName: 'retention' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  test('prunes what is older than the retention and finished, keeps the rest', async () => {
    const db = server.ctx.db.kysely;
    // 1 200 old events: three batches. Plus recent ones and an old intent still in flight.
    await sql`INSERT INTO events (id, type, outcome, at)
              SELECT gen_random_uuid(), 'refresh', 'success', now() - interval '40 days' FROM generate_series(1, 1200)`.execute(db);
    await sql`INSERT INTO events (id, type, outcome, at)
              SELECT gen_random_uuid(), 'refresh', 'success', now() - interval '29 days' FROM generate_series(1, 3)`.execute(db);
    const inFlight = newRowId();
    await sql`INSERT INTO events (id, type, outcome, at) VALUES (${inFlight}, 'refresh', 'in_flight', now() - interval '40 days')`.execute(db);

    const endpoint = newRowId();
    await sql`INSERT INTO webhook_endpoints (id, url, secret_enc, enabled) VALUES (${endpoint}, 'https://example.com/hook', 'x', false)`.execute(db);
    const outbox = async (age: string, fannedOut: boolean) => {
      const id = newRowId();
      await sql`INSERT INTO outbox (id, type, payload, created_at, fanned_out_at)
                VALUES (${id}, 'connection.created', '{}'::jsonb, now() - ${age}::interval, ${fannedOut ? sql`now() - ${age}::interval` : null})`.execute(db);
      return id;
    };
    const delivery = async (outboxId: string, age: string, status: string) => {
      const id = newRowId();
      await sql`INSERT INTO webhook_deliveries (id, outbox_id, endpoint_id, status, created_at)
                VALUES (${id}, ${outboxId}, ${endpoint}, ${status}, now() - ${age}::interval)`.execute(db);
      return id;
    };
    const oldDone = await outbox('40 days', true);
    const oldDelivered = await delivery(oldDone, '40 days', 'delivered');
    const oldFailed = await outbox('40 days', true);
    const oldFailedDelivery = await delivery(oldFailed, '40 days', 'failed');
    const oldPending = await outbox('40 days', true);
    const stillPending = await delivery(oldPending, '40 days', 'pending');
    const notFannedOut = await outbox('40 days', false);
    const recent = await outbox('1 day', true);
    const recentDelivery = await delivery(recent, '1 day', 'delivered');

    const summary = await server.services.retention.prune();
    expect(summary).toMatchObject({ events: 1200, deliveries: 2, outbox: 2 });

    const events = await sql<{ n: number }>`SELECT count(*)::int AS n FROM events`.execute(db);
    expect(events.rows[0]!.n).toBe(4);
    expect(await db.selectFrom('events').select('id').where('id', '=', inFlight).executeTakeFirst()).toBeDefined();
    const outboxIds = (await db.selectFrom('outbox').select('id').execute()).map((r) => r.id).sort();
    expect(outboxIds).toEqual([oldPending, notFannedOut, recent].sort());
    const deliveryIds = (await db.selectFrom('webhook_deliveries').select('id').execute()).map((r) => r.id).sort();
    expect(deliveryIds).toEqual([stillPending, recentDelivery].sort());
    expect(deliveryIds).not.toContain(oldDelivered);
    expect(deliveryIds).not.toContain(oldFailedDelivery);

    // Nothing left to prune: a second pass deletes nothing.
    expect(await server.services.retention.prune()).toEqual(NOTHING);
  });

  const db = () => server.ctx.db.kysely;
  const ids = async (table: 'idempotency_keys' | 'connect_sessions' | 'revocations' | 'grant_ledger' | 'api_keys') =>
    (await sql<{ id: string }>`SELECT id FROM ${sql.table(table)}`.execute(db())).rows.map((r) => r.id).sort();
  const count = async (table: string) => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)}`.execute(db())).rows[0]!.n;
  const integration = async () => {
    const id = newRowId();
    await sql`INSERT INTO integrations (id, key, provider, client_id, scopes, refresh)
              VALUES (${id}, ${`retention-${id}`}, 'salesforce', 'client', '[]', '{"max_per_s": 10}')`.execute(db());
    return id;
  };
  /** One pass of the real worker deletes the rest of the bulk and nothing else. */
  const expectPassPrunes = async (rule: keyof typeof NOTHING, n: number) => {
    expect(await server.services.retention.prune()).toEqual({ ...NOTHING, [rule]: n });
  };

  test('idempotency keys (encrypted responses) go once older than the idempotency TTL', async () => {
    await sql`INSERT INTO idempotency_keys (id, scope, key, request_hash, status_code, response_enc, created_at)
              SELECT gen_random_uuid(), 'k POST /v1/x', 'old-' || g, 'h', 201, 'sealed', now() - interval '2 days'
              FROM generate_series(1, ${BULK}) AS g`.execute(db());
    const young = newRowId();
    const inFlight = newRowId();
    await sql`INSERT INTO idempotency_keys (id, scope, key, request_hash, status_code, response_enc, created_at)
              VALUES (${young}, 'k POST /v1/x', 'young', 'h', 201, 'sealed', now() - interval '1 hour'),
                     (${inFlight}, 'k POST /v1/x', 'in-flight', 'h', NULL, NULL, now())`.execute(db());
    // One statement deletes one batch, never more.
    expect(await pruneIdempotencyKeys(db(), new Date(Date.now() - 86_400_000), 500)).toBe(500);
    await expectPassPrunes('idempotencyKeys', BULK - 500);
    expect(await ids('idempotency_keys')).toEqual([young, inFlight].sort());
  });

  test('connect sessions go once expired and their flow over longer than the setting', async () => {
    const integrationId = await integration();
    await sql`INSERT INTO connect_sessions (id, token_hash, integration_id, end_user_id, expires_at)
              SELECT gen_random_uuid(), 'bulk-' || g, ${integrationId}, 'u', now() - interval '10 days'
              FROM generate_series(1, ${BULK}) AS g`.execute(db());
    const session = async (columns: { expires: string; used?: string; flowExpires?: string; completed?: string }) => {
      const id = newRowId();
      const at = (age: string | undefined) => (age === undefined ? null : sql`now() + ${age}::interval`);
      await sql`INSERT INTO connect_sessions (id, token_hash, integration_id, end_user_id, expires_at, used_at, flow_expires_at, completed_at)
                VALUES (${id}, ${`one-${id}`}, ${integrationId}, 'u', ${at(columns.expires)}, ${at(columns.used)},
                        ${at(columns.flowExpires)}, ${at(columns.completed)})`.execute(db());
      return id;
    };
    const completedLongAgo = await session({ expires: '-10 days', used: '-10 days', flowExpires: '-10 days', completed: '-10 days' });
    const flowExpiredLongAgo = await session({ expires: '-9 days', used: '-9 days', flowExpires: '-9 days' });
    const keep = [
      await session({ expires: '-1 day' }), // expired recently
      await session({ expires: '1 hour' }), // still usable
      await session({ expires: '-10 days', used: '-10 days', flowExpires: '-1 day' }), // its flow ended recently
      await session({ expires: '-10 days', used: '-10 days', flowExpires: '1 hour' }), // its flow still runs
      await session({ expires: '1 day', used: '-9 days', flowExpires: '-9 days', completed: '-9 days' }), // a reconnect link not yet expired
    ];
    expect(await pruneConnectSessions(db(), 7, 500)).toBe(500);
    await expectPassPrunes('connectSessions', BULK - 500 + 2);
    const left = await ids('connect_sessions');
    expect(left).toEqual([...keep].sort());
    expect(left).not.toContain(completedLongAgo);
    expect(left).not.toContain(flowExpiredLongAgo);
  });

  test('revocations go once done or given up longer than the setting; pending ones stay', async () => {
    await sql`INSERT INTO revocations (id, status, created_at, finished_at)
              SELECT gen_random_uuid(), CASE WHEN g % 2 = 0 THEN 'done' ELSE 'failed' END, now() - interval '41 days', now() - interval '40 days'
              FROM generate_series(1, ${BULK}) AS g`.execute(db());
    const youngDone = newRowId();
    const oldPending = newRowId();
    await sql`INSERT INTO revocations (id, status, created_at, finished_at, token_enc)
              VALUES (${youngDone}, 'done', now() - interval '2 days', now() - interval '1 day', NULL),
                     (${oldPending}, 'pending', now() - interval '40 days', NULL, 'sealed')`.execute(db());
    expect(await pruneRevocations(db(), 30, 500)).toBe(500);
    await expectPassPrunes('revocations', BULK - 500);
    expect(await ids('revocations')).toEqual([youngDone, oldPending].sort());
  });

  test('ended ledger grants go after the setting unless an existing connection can cite them; live grants stay', async () => {
    const integrationId = await integration();
    // Ended grants of deleted connections, long ago: nobody can cite them.
    await sql`INSERT INTO grant_ledger (id, provider, client_id, org_id, user_id, connection_id, issued_at, live, ended_at, ended_reason)
              SELECT gen_random_uuid(), 'p', 'c', 'org', 'bulk-' || g, gen_random_uuid(), now() - interval '100 days', false, now() - interval '90 days', 'deleted'
              FROM generate_series(1, ${BULK}) AS g`.execute(db());
    const grant = async (row: { user: string; connection: string | null; issued: string; ended: string | null }) => {
      const id = newRowId();
      await sql`INSERT INTO grant_ledger (id, provider, client_id, org_id, user_id, connection_id, issued_at, live, ended_at, ended_reason)
                VALUES (${id}, 'p', 'c', 'org', ${row.user}, ${row.connection}, now() - ${row.issued}::interval, ${row.ended === null},
                        ${row.ended === null ? null : sql`now() - ${row.ended}::interval`}, ${row.ended === null ? null : 'evicted_by_limit'})`.execute(db());
      return id;
    };
    // A connection that still exists, dead because its grant was pushed out by newer ones long ago.
    const connectionId = newRowId();
    await sql`INSERT INTO connections (id, integration_id, end_user_id, org_id, user_id, status) VALUES (${connectionId}, ${integrationId}, 'e', 'org', 'x', 'needs_reauth')`.execute(db());
    const key = { provider: 'p', clientId: 'c', orgId: 'org', userId: 'x' };
    const replacedOwn = await grant({ user: 'x', connection: connectionId, issued: '150 days', ended: '100 days' }); // its earlier grant
    const own = await grant({ user: 'x', connection: connectionId, issued: '100 days', ended: '95 days' });
    const pushedItOut = await grant({ user: 'x', connection: null, issued: '99 days', ended: '90 days' }); // live when `own` ended
    const endedBefore = await grant({ user: 'x', connection: null, issued: '98 days', ended: '96 days' }); // ended before `own` did
    const issuedBefore = await grant({ user: 'x', connection: null, issued: '101 days', ended: '90 days' }); // older than `own`
    const live = await grant({ user: 'y', connection: null, issued: '200 days', ended: null });
    const endedRecently = await grant({ user: 'z', connection: null, issued: '100 days', ended: '1 day' });
    const evidence = await countNewerLiveGrants(db(), key, connectionId);
    expect(evidence).toBe(1);

    expect(await pruneGrantLedger(db(), 60, 500)).toBe(500);
    await expectPassPrunes('grantLedger', BULK - 500 + 3);
    expect(await ids('grant_ledger')).toEqual([own, pushedItOut, live, endedRecently].sort());
    for (const gone of [replacedOwn, endedBefore, issuedBefore]) expect(await ids('grant_ledger')).not.toContain(gone);
    // The diagnosis reads the same evidence as before.
    expect(await countNewerLiveGrants(db(), key, connectionId)).toBe(evidence);
  });

  test('refresh stats rollups go after the setting (never less than the dashboard shows)', async () => {
    const integrationId = await integration();
    await sql`INSERT INTO refresh_stats (integration_id, bucket, outcome, count)
              SELECT ${integrationId}, date_trunc('minute', now()) - interval '20 days' - g * interval '1 minute', 'success', 1
              FROM generate_series(1, ${BULK}) AS g`.execute(db());
    await sql`INSERT INTO refresh_stats (integration_id, bucket, outcome, count)
              VALUES (${integrationId}, date_trunc('minute', now()) - interval '8 days', 'success', 3),
                     (${integrationId}, date_trunc('minute', now()) - interval '1 hour', 'permanent_error', 2)`.execute(db());
    expect(await pruneRefreshStats(db(), 14, 500)).toBe(500);
    await expectPassPrunes('refreshStats', BULK - 500);
    const left = await db().selectFrom('refresh_stats').select(['outcome', 'count']).where('integration_id', '=', integrationId).orderBy('bucket').execute();
    expect(left).toEqual([{ outcome: 'success', count: 3 }, { outcome: 'permanent_error', count: 2 }]);
  });

  test('revoked API keys go after the setting; active keys stay', async () => {
    await sql`INSERT INTO api_keys (id, digest, name, created_at, revoked_at)
              SELECT gen_random_uuid(), 'old-' || g, 'generated', now() - interval '100 days', now() - interval '20 days'
              FROM generate_series(1, ${BULK}) AS g`.execute(db());
    const youngRevoked = newRowId();
    const active = newRowId();
    await sql`INSERT INTO api_keys (id, digest, name, created_at, revoked_at)
              VALUES (${youngRevoked}, 'young', 'generated', now() - interval '100 days', now() - interval '1 day'),
                     (${active}, 'active', 'generated', now() - interval '400 days', NULL)`.execute(db());
    expect(await pruneRevokedApiKeys(db(), 10, 500)).toBe(500);
    await expectPassPrunes('revokedApiKeys', BULK - 500);
    expect(await ids('api_keys')).toEqual([youngRevoked, active].sort());
  });

  test('retired refresh-token fingerprints go after the setting, and with their connection', async () => {
    const integrationId = await integration();
    const connection = async () => {
      const id = newRowId();
      await sql`INSERT INTO connections (id, integration_id, end_user_id) VALUES (${id}, ${integrationId}, 'e')`.execute(db());
      return id;
    };
    const busy = await connection();
    await sql`INSERT INTO retired_grants (fingerprint, connection_id, reason, retired_at)
              SELECT 'k:old-' || g, ${busy}, 'rotated', now() - interval '91 days' FROM generate_series(1, ${BULK}) AS g`.execute(db());
    await sql`INSERT INTO retired_grants (fingerprint, connection_id, reason, retired_at)
              VALUES ('k:young', ${busy}, 'rotated', now() - interval '89 days'), ('k:replaced', ${busy}, 'replaced', now() - interval '1 day')`.execute(db());
    const deleted = await connection();
    await sql`INSERT INTO retired_grants (fingerprint, connection_id, reason) VALUES ('k:of-deleted', ${deleted}, 'rotated')`.execute(db());
    await sql`DELETE FROM connections WHERE id = ${deleted}`.execute(db());
    expect(await pruneRetiredGrants(db(), 90, 500)).toBe(500);
    await expectPassPrunes('retiredGrants', BULK - 500);
    const left = (await sql<{ fingerprint: string }>`SELECT fingerprint FROM retired_grants`.execute(db())).rows.map((r) => r.fingerprint).sort();
    expect(left).toEqual(['k:replaced', 'k:young']);
  });

  test('dashboard logouts go once their session would have expired; live ones stay', async () => {
    await sql`INSERT INTO dashboard_session_revocations (session_digest, expires_at)
              SELECT 'expired-' || g, now() - interval '1 minute' FROM generate_series(1, ${BULK}) AS g`.execute(db());
    await sql`INSERT INTO dashboard_session_revocations (session_digest, expires_at) VALUES ('live', now() + interval '1 hour')`.execute(db());
    expect(await pruneSessionRevocations(db(), 500)).toBe(500);
    await expectPassPrunes('sessionRevocations', BULK - 500);
    const left = await db().selectFrom('dashboard_session_revocations').select('session_digest').execute();
    expect(left).toEqual([{ session_digest: 'live' }]);
  });

  test('wrong-key counts go once their window has ended; current ones stay', async () => {
    await sql`INSERT INTO auth_failures (client, failures, window_started_at)
              SELECT 'test-client-' || g, 3, now() - interval '11 minutes' FROM generate_series(1, ${BULK}) AS g`.execute(db());
    await sql`INSERT INTO auth_failures (client, failures, window_started_at) VALUES ('198.51.100.7', 9, now() - interval '9 minutes')`.execute(db());
    expect(await pruneAuthFailures(db(), 600, 500)).toBe(500);
    await expectPassPrunes('authFailures', BULK - 500);
    const left = await db().selectFrom('auth_failures').select('client').execute();
    expect(left).toEqual([{ client: '198.51.100.7' }]);
  });

  test('rate buckets and refresh stats go with their integration (foreign key cascade)', async () => {
    const integrationId = await integration();
    await sql`INSERT INTO rate_buckets (integration_id, tokens) VALUES (${integrationId}, 1)`.execute(db());
    await sql`INSERT INTO refresh_stats (integration_id, bucket, outcome, count) VALUES (${integrationId}, now(), 'success', 1)`.execute(db());
    const before = { buckets: await count('rate_buckets'), stats: await count('refresh_stats') };
    await sql`DELETE FROM integrations WHERE id = ${integrationId}`.execute(db());
    expect(await count('rate_buckets')).toBe(before.buckets - 1);
    expect(await count('refresh_stats')).toBe(before.stats - 1);
  });
});
