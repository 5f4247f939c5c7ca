import { sql } from 'kysely';
import type { Executor, IntegrationRow } from '../types.js';

/**
 * The previous client secret worked where the current one was refused: the two change places
 * (each re-encrypted for its column by the caller). Compare-and-set on both ciphertexts, so two
 * instances promoting at once swap once; undefined when the secrets changed meanwhile.
 */
export async function swapClientSecrets(
  db: Executor,
  id: string,
  expected: { currentEnc: string; previousEnc: string },
  next: { currentEnc: string; previousEnc: string },
): Promise<IntegrationRow | undefined> {
  return db
    .updateTable('integrations')
    .set({
      client_secret_enc: next.currentEnc,
      previous_client_secret_enc: next.previousEnc,
      generation: sql`generation + 1`,
      updated_at: sql`now()`,
    })
    .where('id', '=', id)
    .where('client_secret_enc', '=', expected.currentEnc)
    .where('previous_client_secret_enc', '=', expected.previousEnc)
    .returningAll()
    .executeTakeFirst();
}
