import { sql } from 'kysely';
import type { Executor } from '../types.js';

/**
 * Claims due revocations by pushing their next attempt into the future in one short
 * statement (committed before any HTTP call), so two instances never send the same one.
 */
export async function claimDueRevocations(db: Executor, limit: number, claimForMs: number) {
  return db
    .updateTable('revocations')
    .set({ next_attempt_at: sql`now() + ${claimForMs} * interval '1 millisecond'` })
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('revocations')
        .select('id')
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', sql<Date>`now()`)
        .orderBy('next_attempt_at')
        .limit(limit)
        .forUpdate()
        .skipLocked(),
    )
    .returningAll()
    .execute();
}
