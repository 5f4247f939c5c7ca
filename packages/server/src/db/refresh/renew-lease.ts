import { sql } from 'kysely';
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

export async function releaseLease(db: Executor, id: string, owner: string): Promise<void> {
  await db
    .updateTable('connections')
    .set({ lease_owner: null, lease_expires_at: null })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .execute();
}
