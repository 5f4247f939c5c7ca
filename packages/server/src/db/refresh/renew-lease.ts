import { sql } from 'kysely';
import { LEASE_CHANNEL } from '../notify.js';
import type { Executor } from '../types.js';

/**
 * Extends our lease while the provider call runs. `released`: nobody holds it — our own
 * commit cleared it while this renewal waited for the row (a renewal racing the commit is
 * not a loss); `taken`: another holder has it.
 */
export async function renewLease(db: Executor, id: string, owner: string, ttlMs: number): Promise<'renewed' | 'released' | 'taken'> {
  const result = await sql<{ renewed: number; owner: string | null }>`
    WITH renewed AS (
      UPDATE connections SET lease_expires_at = now() + ${ttlMs} * interval '1 millisecond'
      WHERE id = ${id} AND lease_owner = ${owner} RETURNING id
    )
    SELECT (SELECT count(*) FROM renewed)::int AS renewed, (SELECT lease_owner FROM connections WHERE id = ${id}) AS owner`.execute(db);
  const row = result.rows[0];
  if (row && row.renewed > 0) return 'renewed';
  // The owner read comes from the statement's snapshot: still ours there means our commit
  // landed while the update waited.
  return row?.owner && row.owner !== owner ? 'taken' : 'released';
}

/** Gives the lease back and tells the instances waiting on it (LEASE_CHANNEL), in one statement. */
export async function releaseLease(db: Executor, id: string, owner: string): Promise<void> {
  await sql`
    WITH released AS (
      UPDATE connections SET lease_owner = NULL, lease_expires_at = NULL WHERE id = ${id} AND lease_owner = ${owner} RETURNING id
    )
    SELECT pg_notify(${LEASE_CHANNEL}, id::text) FROM released`.execute(db);
}
