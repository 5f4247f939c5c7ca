import { sql } from 'kysely';
import type { Executor } from '../types.js';

/**
 * Claims due connections: one short statement, committed before any provider call. Pushing
 * next_refresh_at past the claim TTL hides the rows from every other instance's claim (and
 * brings them back by themselves if this instance dies); SKIP LOCKED keeps concurrent claims
 * disjoint without waiting. `next_refresh_at <= now()` implies NOT NULL, so the planner uses
 * the partial index connections_due and a tick costs what is due, never the table size.
 */
export function claimDueQuery(db: Executor, instanceId: string, limit: number, claimTtlS: number) {
  return db
    .updateTable('connections')
    .set({ next_refresh_at: sql`now() + ${claimTtlS} * interval '1 second'`, claimed_by: instanceId })
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('connections')
        .select('id')
        .where('next_refresh_at', '<=', sql<Date>`now()`)
        .orderBy('next_refresh_at')
        .limit(limit)
        .forUpdate()
        .skipLocked(),
    )
    .returning(['id', 'status', 'integration_id']);
}

export type ClaimedConnection = { id: string; status: 'active' | 'refresh_failing' | 'needs_reauth'; integration_id: string };

export async function claimDueConnections(db: Executor, instanceId: string, limit: number, claimTtlS: number): Promise<ClaimedConnection[]> {
  return claimDueQuery(db, instanceId, limit, claimTtlS).execute();
}
