import { sql } from 'kysely';
import type { Executor } from '../types.js';

/** A claimed row as its release needs it: whether the claim also took its refresh lease. */
export interface HeldClaim {
  id: string;
  leased: boolean;
}

export const claimOf = (row: { id: string; lease_free: boolean }): HeldClaim => ({ id: row.id, leased: row.lease_free });

/**
 * The lease columns after a release: the lease goes only where the claim took it (a lease
 * this instance holds for an on-demand refresh in flight stays).
 */
const leaseReleased = (instanceId: string, leasedIds: string[]) => ({
  lease_owner: sql<string | null>`CASE WHEN lease_owner = ${instanceId} AND id = ANY(${leasedIds}::uuid[]) THEN NULL ELSE lease_owner END`,
  lease_expires_at: sql<Date | null>`CASE WHEN lease_owner = ${instanceId} AND id = ANY(${leasedIds}::uuid[]) THEN NULL ELSE lease_expires_at END`,
});

/**
 * Hands claimed-but-unstarted rows back (shutdown): due again at once for any instance.
 * Only rows still carrying this instance's claim, and not rescheduled by a refresh meanwhile.
 */
export async function releaseClaims(db: Executor, instanceId: string, claims: HeldClaim[]): Promise<number> {
  if (claims.length === 0) return 0;
  const leased = claims.filter((c) => c.leased).map((c) => c.id);
  const result = await db
    .updateTable('connections')
    .set({ next_refresh_at: sql`now()`, claimed_by: null, ...leaseReleased(instanceId, leased) })
    .where('id', 'in', claims.map((c) => c.id))
    .where('claimed_by', '=', instanceId)
    .where('next_refresh_at', '>', sql<Date>`now()`)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Pushes a claimed row's next look further out (its integration is rejected: nothing to do until it recovers). */
export async function deferClaimed(db: Executor, instanceId: string, claim: HeldClaim, delayS: number): Promise<void> {
  await db
    .updateTable('connections')
    .set({ next_refresh_at: sql`now() + ${delayS} * interval '1 second'`, ...leaseReleased(instanceId, claim.leased ? [claim.id] : []) })
    .where('id', '=', claim.id)
    .where('claimed_by', '=', instanceId)
    .execute();
}
