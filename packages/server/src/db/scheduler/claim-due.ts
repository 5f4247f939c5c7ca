import { sql } from 'kysely';
import type { ConnectionRow, Executor } from '../types.js';

/** The refresh lease a claim takes along (the values `acquireLease` uses). */
export interface ClaimLease {
  ttlMs: number;
  graceS: number;
}

/**
 * Claims due connections: one short statement, committed before any provider call. Pushing
 * next_refresh_at past the claim TTL hides the rows from every other instance's claim (and
 * brings them back by themselves if this instance dies); SKIP LOCKED keeps concurrent claims
 * disjoint without waiting. `next_refresh_at <= now()` implies NOT NULL, so the planner uses
 * the partial index connections_due and a tick costs what is due, never the table size.
 *
 * The same statement takes each row's refresh lease where it is free (the conditions of
 * `acquireLease`) and returns the whole row, so a scheduled refresh needs no read and no
 * lease write of its own. `lease_free` says whether the lease was free before this claim:
 * a lease this instance already held (an on-demand refresh in flight) is not the claim's.
 */
export function claimDueQuery(db: Executor, instanceId: string, limit: number, claimTtlS: number, lease: ClaimLease) {
  const leaseFree = sql<boolean>`(lease_expires_at IS NULL
      OR (refresh_intent_id IS NULL AND lease_expires_at < now())
      OR lease_expires_at < now() - ${lease.graceS} * interval '1 second')`;
  return db
    .updateTable('connections as c')
    .from(
      db
        .selectFrom('connections')
        .select(['id', leaseFree.as('lease_free')])
        .where('next_refresh_at', '<=', sql<Date>`now()`)
        .orderBy('next_refresh_at')
        .limit(limit)
        .forUpdate()
        .skipLocked()
        .as('due'),
    )
    .set({
      next_refresh_at: sql`now() + ${claimTtlS} * interval '1 second'`,
      claimed_by: instanceId,
      lease_owner: sql`CASE WHEN due.lease_free THEN ${instanceId} ELSE c.lease_owner END`,
      lease_expires_at: sql`CASE WHEN due.lease_free THEN now() + ${lease.ttlMs} * interval '1 millisecond' ELSE c.lease_expires_at END`,
    })
    .whereRef('c.id', '=', 'due.id')
    .returningAll('c')
    .returning('due.lease_free');
}

/** A claimed row, whole; `lease_free`: the claim took its refresh lease too. */
export type ClaimedConnection = ConnectionRow & { lease_free: boolean };

export async function claimDueConnections(db: Executor, instanceId: string, limit: number, claimTtlS: number, lease: ClaimLease): Promise<ClaimedConnection[]> {
  return claimDueQuery(db, instanceId, limit, claimTtlS, lease).execute();
}
