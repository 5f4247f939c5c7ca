import { sql } from 'kysely';
import type { Executor } from '../types.js';

/** Logouts of sessions that have expired anyway (their cookie no longer verifies). */
export async function pruneSessionRevocations(db: Executor, batch: number): Promise<number> {
  const result = await db
    .deleteFrom('dashboard_session_revocations')
    .where('session_digest', 'in', (eb) =>
      eb.selectFrom('dashboard_session_revocations').select('session_digest').where('expires_at', '<=', sql<Date>`now()`).limit(batch),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
