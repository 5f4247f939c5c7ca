// Retention: old events, finished deliveries and fanned-out outbox rows go, in batches of at
// most 500; recent rows and anything still pending stay. On both databases.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BACKENDS } from './helpers/databases.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { newRowId } from '../src/model/ids.js';

describe.each(BACKENDS)('retention on %s', (backend) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(backend, {
      GRANTKEEPER_RETENTION_DAYS: '30',
      GRANTKEEPER_RETENTION_BATCH_SIZE: '500',
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
    expect(await server.services.retention.prune()).toEqual({ events: 0, deliveries: 0, outbox: 0, spikes: 0 });
  });
});
