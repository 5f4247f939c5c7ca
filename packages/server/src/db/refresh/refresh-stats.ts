import { sql } from 'kysely';
import type { Executor } from '../types.js';

/** Counts one refresh outcome in its minute bucket (the dashboard's rollup; events are never scanned). */
export async function countRefreshOutcome(db: Executor, integrationId: string, outcome: string): Promise<void> {
  await sql`
    INSERT INTO refresh_stats (integration_id, bucket, outcome, count)
    VALUES (${integrationId}, date_trunc('minute', now()), ${outcome}, 1)
    ON CONFLICT (integration_id, bucket, outcome) DO UPDATE SET count = refresh_stats.count + 1`.execute(db);
}
