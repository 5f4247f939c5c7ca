import type { Executor } from '../types.js';
import { daysAgo } from './days-ago.js';

/** Per-minute refresh outcome rollups older than `days` (the dashboard charts at most 7). */
export async function pruneRefreshStats(db: Executor, days: number, batch: number): Promise<number> {
  const result = await db
    .deleteFrom('refresh_stats')
    .where((eb) =>
      eb(
        eb.refTuple('integration_id', 'bucket', 'outcome', 'shard'),
        'in',
        eb
          .selectFrom('refresh_stats')
          .select(['integration_id', 'bucket', 'outcome', 'shard'])
          .where('bucket', '<', daysAgo(days))
          .limit(batch)
          .$asTuple('integration_id', 'bucket', 'outcome', 'shard'),
      ),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
