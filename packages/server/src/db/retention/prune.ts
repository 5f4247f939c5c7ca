import type { Executor } from '../types.js';
import { daysAgo } from './days-ago.js';

// Retention: each call deletes one batch (≤ 500 rows) in its own short statement, so the
// embedded database is never held for long. Callers loop until a batch comes back short.

/** Events older than the retention, except an intent still in flight (it is evidence). */
export async function pruneEvents(db: Executor, days: number, batch: number): Promise<number> {
  const result = await db
    .deleteFrom('events')
    .where('id', 'in', (eb) =>
      eb.selectFrom('events').select('id').where('at', '<', daysAgo(days)).where('outcome', 'is distinct from', 'in_flight').limit(batch),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Finished deliveries (delivered or failed for good). */
export async function pruneDeliveries(db: Executor, days: number, batch: number): Promise<number> {
  const result = await db
    .deleteFrom('webhook_deliveries')
    .where('id', 'in', (eb) =>
      eb.selectFrom('webhook_deliveries').select('id').where('created_at', '<', daysAgo(days)).where('status', 'in', ['delivered', 'failed']).limit(batch),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Outbox rows already fanned out whose deliveries are all finished (the rest cascade). */
export async function pruneOutbox(db: Executor, days: number, batch: number): Promise<number> {
  const result = await db
    .deleteFrom('outbox')
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('outbox as o')
        .select('o.id')
        .where('o.created_at', '<', daysAgo(days))
        .where('o.fanned_out_at', 'is not', null)
        .where(({ not, exists, selectFrom }) =>
          not(exists(selectFrom('webhook_deliveries as d').select('d.id').whereRef('d.outbox_id', '=', 'o.id').where('d.status', '=', 'pending'))),
        )
        .limit(batch),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Spikes that ended longer ago than the retention. */
export async function pruneSpikes(db: Executor, days: number, batch: number): Promise<number> {
  const result = await db
    .deleteFrom('spikes')
    .where('id', 'in', (eb) => eb.selectFrom('spikes').select('id').where('ended_at', '<', daysAgo(days)).limit(batch))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
