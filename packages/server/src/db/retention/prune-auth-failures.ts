import { sql } from 'kysely';
import type { Executor } from '../types.js';

/** Wrong-key counts whose window has ended (the next failure would start afresh anyway). */
export async function pruneAuthFailures(db: Executor, windowS: number, batch: number): Promise<number> {
  const result = await db
    .deleteFrom('auth_failures')
    .where('client', 'in', (eb) =>
      eb.selectFrom('auth_failures').select('client').where('window_started_at', '<=', sql<Date>`now() - ${windowS} * interval '1 second'`).limit(batch),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
