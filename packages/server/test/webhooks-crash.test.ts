// No webhook is lost when a server dies mid-delivery: a real `grantkeeper start` process on
// PostgreSQL is killed with SIGKILL while deliveries are in flight; another process takes
// over once their claims run out, and every event id arrives (a duplicate only for what
// was in flight when the process died — an acknowledgement that was lost).
import { afterAll, describe, expect, test } from 'vitest';
import { openDatabase, type Db } from '../src/db/open.js';
import { emitEvent } from '../src/webhooks/outbox.js';
import { createPostgresDatabase } from './helpers/databases.js';
import { spawnServer, type ServerProcess } from './helpers/processes.js';
import { testEncryptionKeys } from './helpers/server.js';
import { until } from './helpers/wait.js';
import { Receiver, verify } from './webhooks-receiver.js';

const KEY = 'gk_sk_webhook_crash_test_key_01';

describe('webhook delivery across a kill -9 (postgres, child processes)', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const fn of cleanup.reverse()) await fn().catch(() => {});
  });

  test('every event id arrives after the delivering process is killed and another starts', async () => {
    const database = await createPostgresDatabase();
    cleanup.push(() => database.drop());
    const receiver = new Receiver();
    await receiver.start();
    cleanup.push(() => receiver.stop());
    // Slow enough that several deliveries are always in flight.
    receiver.behaviour = () => ({ kind: 'slow', ms: 150 });

    const env = {
      GRANTKEEPER_DATABASE_URL: database.url,
      GRANTKEEPER_SECRET_KEY: KEY,
      GRANTKEEPER_ENCRYPTION_KEYS: testEncryptionKeys(),
      GRANTKEEPER_ALLOW_PRIVATE_NETWORK: 'true',
      GRANTKEEPER_SCHEDULER_INTERVAL_MS: '3600000',
      GRANTKEEPER_WEBHOOK_TIMEOUT_MS: '2000',
      GRANTKEEPER_WEBHOOK_CLAIM_MS: '3000',
      GRANTKEEPER_WEBHOOK_POLL_INTERVAL_MS: '50',
      GRANTKEEPER_WEBHOOK_RETRY_BASE_MS: '50',
      GRANTKEEPER_WEBHOOK_RETRY_MAX_MS: '200',
      GRANTKEEPER_WEBHOOK_CONCURRENCY: '4',
    };
    const first: ServerProcess = await spawnServer({ ...env, GRANTKEEPER_INSTANCE_ID: 'first' }, 'webhooks-crash-first');
    cleanup.push(() => first.kill('SIGKILL'));
    const created = await fetch(`${first.url}/v1/webhook-endpoints`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: receiver.url }),
    });
    expect(created.status).toBe(201);
    const { secret } = (await created.json()) as { secret: string };

    // The test writes events as an emitter would (same function, same database).
    const db: Db = await openDatabase({ databaseUrl: database.url, dataDir: '', poolSize: 2 });
    cleanup.push(() => db.close());
    const emit = async (n: number) => {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) ids.push(await emitEvent(db.kysely, { type: 'integration.recovered', data: { n: i } }));
      return ids;
    };
    const ids = await emit(60);
    await until('some deliveries', () => receiver.acknowledged().length >= 8);
    await first.kill('SIGKILL');
    const inFlight = await db.kysely
      .selectFrom('webhook_deliveries')
      .select('outbox_id')
      .where('status', '=', 'pending')
      .where('claimed_by', 'like', 'first#%')
      .execute();
    // The kill landed mid-delivery: claims of the dead process are outstanding.
    expect(inFlight.length).toBeGreaterThan(0);
    const deliveredBeforeKill = new Set(receiver.acknowledged().map((e) => e.id));
    expect(deliveredBeforeKill.size).toBeLessThan(60);

    // Events keep being written while no server runs.
    ids.push(...(await emit(20)));
    receiver.behaviour = () => ({ kind: 'ok' });
    const second = await spawnServer({ ...env, GRANTKEEPER_INSTANCE_ID: 'second' }, 'webhooks-crash-second');
    cleanup.push(() => second.kill('SIGKILL'));
    await until('every event acknowledged', () => ids.every((id) => receiver.acknowledged().some((e) => e.id === id)), 60_000, 100);

    for (const entry of receiver.received) verify(secret, entry);
    const counts = new Map<string, number>();
    for (const entry of receiver.received) counts.set(entry.id, (counts.get(entry.id) ?? 0) + 1);
    expect(new Set(counts.keys())).toEqual(new Set(ids));
    // A second receipt happens only for a delivery the dead process had in flight.
    const inFlightIds = new Set(inFlight.map((r) => `evt_${r.outbox_id.replace(/-/g, '')}`));
    const duplicated = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
    for (const id of duplicated) expect(inFlightIds.has(id), id).toBe(true);
    // Outcomes are recorded just after the receiver answers (in batches): wait for them.
    await until('every delivery recorded', async () => {
      const rows = await db.kysely.selectFrom('webhook_deliveries').select(['status']).execute();
      return rows.length === 80 && rows.every((r) => r.status === 'delivered');
    }, 30_000, 100);

    // Two live instances share the work (SKIP LOCKED claims): each event is sent once.
    const third = await spawnServer({ ...env, GRANTKEEPER_INSTANCE_ID: 'third' }, 'webhooks-crash-third');
    cleanup.push(() => third.kill('SIGKILL'));
    const shared = await emit(100);
    await until('shared batch acknowledged', () => shared.every((id) => receiver.acknowledged().some((e) => e.id === id)), 60_000, 100);
    for (const id of shared) expect(receiver.received.filter((e) => e.id === id), id).toHaveLength(1);
    await Promise.all([second.kill('SIGTERM'), third.kill('SIGTERM')]);
  });
});
