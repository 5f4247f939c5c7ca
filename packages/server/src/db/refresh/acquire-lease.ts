import { sql } from 'kysely';
import type { ConnectionRow, Executor } from '../types.js';

/**
 * Takes the refresh lease of one connection — database time only, no advisory lock, no
 * transaction held across HTTP. A lease left by a holder with an unresolved intent (it may
 * have received a rotated token it could not store yet) is free only `graceS` after it
 * expired, so a holder merely cut off from the database can still commit.
 */
export async function acquireLease(db: Executor, id: string, owner: string, ttlMs: number, graceS: number): Promise<ConnectionRow | undefined> {
  return db
    .updateTable('connections')
    .set({ lease_owner: owner, lease_expires_at: sql`now() + ${ttlMs} * interval '1 millisecond'` })
    .where('id', '=', id)
    .where((eb) =>
      eb.or([
        eb('lease_expires_at', 'is', null),
        eb.and([eb('refresh_intent_id', 'is', null), eb('lease_expires_at', '<', sql<Date>`now()`)]),
        eb('lease_expires_at', '<', sql<Date>`now() - ${graceS} * interval '1 second'`),
      ]),
    )
    .returningAll()
    .executeTakeFirst();
}
