import { sql } from 'kysely';
import { LEASE_CHANNEL } from '../notify.js';
import type { Executor } from '../types.js';

/** Extends our lease while the provider call runs; false when it is no longer ours. */
export async function renewLease(db: Executor, id: string, owner: string, ttlMs: number): Promise<boolean> {
  const result = await db
    .updateTable('connections')
    .set({ lease_expires_at: sql`now() + ${ttlMs} * interval '1 millisecond'` })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Gives the lease back and tells the instances waiting on it (LEASE_CHANNEL), in one statement. */
export async function releaseLease(db: Executor, id: string, owner: string): Promise<void> {
  await sql`
    WITH released AS (
      UPDATE connections SET lease_owner = NULL, lease_expires_at = NULL WHERE id = ${id} AND lease_owner = ${owner} RETURNING id
    )
    SELECT pg_notify(${LEASE_CHANNEL}, id::text) FROM released`.execute(db);
}
