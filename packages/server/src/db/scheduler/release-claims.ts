import { sql } from 'kysely';
import type { Executor } from '../types.js';

/**
 * Hands claimed-but-unstarted rows back (shutdown): due again at once for any instance.
 * Only rows still carrying this instance's claim, and not rescheduled by a refresh meanwhile.
 */
export async function releaseClaims(db: Executor, instanceId: string, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await db
    .updateTable('connections')
    .set({ next_refresh_at: sql`now()`, claimed_by: null })
    .where('id', 'in', ids)
    .where('claimed_by', '=', instanceId)
    .where('next_refresh_at', '>', sql<Date>`now()`)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Pushes a claimed row's next look further out (its integration is rejected: nothing to do until it recovers). */
export async function deferClaimed(db: Executor, instanceId: string, id: string, delayS: number): Promise<void> {
  await db
    .updateTable('connections')
    .set({ next_refresh_at: sql`now() + ${delayS} * interval '1 second'` })
    .where('id', '=', id)
    .where('claimed_by', '=', instanceId)
    .execute();
}
