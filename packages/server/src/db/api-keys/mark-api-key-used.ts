import { sql } from 'kysely';
import type { Executor } from '../types.js';

/**
 * Records a use of a key, unless one within `resolutionS` before it is recorded already (by
 * this or another instance): at most one write per key per resolution across the cluster.
 */
export async function markApiKeyUsed(db: Executor, id: string, at: Date, resolutionS: number): Promise<void> {
  await db
    .updateTable('api_keys')
    .set({ last_used_at: at })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<=', sql<Date>`${at}::timestamptz - ${resolutionS} * interval '1 second'`)]))
    .execute();
}
