import { sql } from 'kysely';
import type { Executor } from '../types.js';

/** One integration's refresh attempts since `since`: how many succeeded, rotated, failed. */
export async function refreshHistory(db: Executor, integrationId: string, since: Date): Promise<{ succeeded: number; rotated: number; failed: number }> {
  const result = await sql<{ succeeded: number; rotated: number; failed: number }>`
    SELECT count(*) FILTER (WHERE outcome = 'success')::int                AS succeeded,
           count(*) FILTER (WHERE outcome = 'success' AND rotated)::int    AS rotated,
           count(*) FILTER (WHERE outcome IN ('permanent_error', 'transient_error', 'unknown'))::int AS failed
    FROM events
    WHERE integration_id = ${integrationId}::uuid AND type = 'refresh' AND at >= ${since}`.execute(db);
  const row = result.rows[0];
  return { succeeded: Number(row?.succeeded ?? 0), rotated: Number(row?.rotated ?? 0), failed: Number(row?.failed ?? 0) };
}
