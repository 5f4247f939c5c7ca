import { sql } from 'kysely';
import type { Executor } from '../types.js';

/** Replaced client secrets past their overlap: wiped (one batch), so no secret outlives its use. */
export async function clearExpiredPreviousClientSecrets(db: Executor, batch: number): Promise<number> {
  const result = await db
    .updateTable('integrations')
    .set({ previous_client_secret_enc: null, previous_client_secret_expires_at: null, generation: sql`generation + 1` })
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('integrations')
        .select('id')
        .where('previous_client_secret_enc', 'is not', null)
        .where('previous_client_secret_expires_at', '<=', sql<Date>`now()`)
        .limit(batch),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
