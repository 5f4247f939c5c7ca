import type { Executor } from '../types.js';
import { daysAgo } from './days-ago.js';

/** Revocations done or given up `days` ago (their token is already gone; only the record remains). */
export async function pruneRevocations(db: Executor, days: number, batch: number): Promise<number> {
  const result = await db
    .deleteFrom('revocations')
    .where('id', 'in', (eb) =>
      eb.selectFrom('revocations').select('id').where('status', 'in', ['done', 'failed']).where('finished_at', '<', daysAgo(days)).limit(batch),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
