import { sql } from 'kysely';
import type { Executor } from '../types.js';

export type StatsBucket = 'minute' | 'hour' | 'day';

export interface OutcomeCountRow {
  at: Date;
  outcome: string;
  count: number;
}

/**
 * Refresh outcomes summed per time bucket, read from the per-minute rollup (never from
 * events). Buckets are truncated in UTC so a day bucket is the same on every server.
 */
export async function refreshOutcomeCounts(
  db: Executor,
  range: { from: Date; to: Date; bucket: StatsBucket; integrationIds?: readonly string[] },
): Promise<OutcomeCountRow[]> {
  if (range.integrationIds?.length === 0) return [];
  const integrationFilter = range.integrationIds ? sql`AND integration_id IN (${sql.join(range.integrationIds)})` : sql``;
  const result = await sql<OutcomeCountRow>`
    SELECT date_trunc(${range.bucket}, bucket, 'UTC') AS at, outcome, sum(count)::int8 AS count
    FROM refresh_stats
    WHERE bucket >= ${range.from} AND bucket < ${range.to} ${integrationFilter}
    GROUP BY 1, 2`.execute(db);
  return result.rows;
}
