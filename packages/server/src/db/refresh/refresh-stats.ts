import { sql } from 'kysely';
import type { Executor } from '../types.js';

/** The rollup's shards (migration 0009): a commit bumps one at random; readers sum them. */
export const STATS_SHARDS = 16;

/** Counts one refresh outcome in its minute bucket (the dashboard's rollup; events are never scanned). */
export async function countRefreshOutcome(db: Executor, integrationId: string, outcome: string): Promise<void> {
  await sql`
    INSERT INTO refresh_stats (integration_id, bucket, outcome, shard, count)
    VALUES (${integrationId}, date_trunc('minute', now()), ${outcome}, floor(random() * ${STATS_SHARDS})::int2, 1)
    ON CONFLICT (integration_id, bucket, outcome, shard) DO UPDATE SET count = refresh_stats.count + 1`.execute(db);
}
