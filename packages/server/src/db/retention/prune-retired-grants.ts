import type { Executor } from '../types.js';
import { daysAgo } from './days-ago.js';

/** Fingerprints of refresh tokens retired `days` ago (a deleted connection's go with it). */
export async function pruneRetiredGrants(db: Executor, days: number, batch: number): Promise<number> {
  const result = await db
    .deleteFrom('retired_grants')
    .where('fingerprint', 'in', (eb) => eb.selectFrom('retired_grants').select('fingerprint').where('retired_at', '<', daysAgo(days)).limit(batch))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
