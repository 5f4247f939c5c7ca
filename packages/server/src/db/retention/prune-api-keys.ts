import type { Executor } from '../types.js';
import { daysAgo } from './days-ago.js';

/** Generated API keys revoked `days` ago (a revoked key never authenticates again). */
export async function pruneRevokedApiKeys(db: Executor, days: number, batch: number): Promise<number> {
  const result = await db
    .deleteFrom('api_keys')
    .where('id', 'in', (eb) => eb.selectFrom('api_keys').select('id').where('revoked_at', '<', daysAgo(days)).limit(batch))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
