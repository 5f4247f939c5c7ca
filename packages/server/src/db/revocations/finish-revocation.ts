import { sql } from 'kysely';
import type { Executor } from '../types.js';

/** Done or given up: the token is dropped, only the record remains. */
export async function finishRevocation(db: Executor, id: string, status: 'done' | 'failed', lastError: string | null): Promise<void> {
  await db
    .updateTable('revocations')
    .set({ status, token_enc: null, client_secret_enc: null, last_error: lastError, finished_at: sql`now()`, next_attempt_at: null, attempts: sql`attempts + 1` })
    .where('id', '=', id)
    .execute();
}

export async function retryRevocationLater(db: Executor, id: string, delayMs: number, lastError: string): Promise<void> {
  await db
    .updateTable('revocations')
    .set({
      next_attempt_at: sql`now() + ${delayMs} * interval '1 millisecond'`,
      last_error: lastError,
      attempts: sql`attempts + 1`,
    })
    .where('id', '=', id)
    .execute();
}
