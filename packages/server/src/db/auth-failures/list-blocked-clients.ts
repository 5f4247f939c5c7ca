import { sql } from 'kysely';
import type { Executor } from '../types.js';

/** Clients at the wrong-key limit whose window has not ended, with when it ends. */
export async function listBlockedClients(db: Executor, maxFailures: number, windowS: number): Promise<{ client: string; window_ends_at: Date }[]> {
  const result = await sql<{ client: string; window_ends_at: Date }>`
    SELECT client, window_started_at + ${windowS} * interval '1 second' AS window_ends_at
    FROM auth_failures
    WHERE failures >= ${maxFailures} AND window_started_at > now() - ${windowS} * interval '1 second'`.execute(db);
  return result.rows;
}
