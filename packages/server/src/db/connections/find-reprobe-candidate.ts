import { sql } from 'kysely';
import type { Executor } from '../types.js';

/**
 * The connection to re-probe after an integration's credentials changed: one its old
 * credentials failed on if any (they prove the fix fastest), else the most recently updated;
 * never one that waits for its end user anyway.
 */
export async function findReprobeCandidate(db: Executor, integrationId: string): Promise<{ id: string } | undefined> {
  return db
    .selectFrom('connections')
    .select('id')
    .where('integration_id', '=', integrationId)
    .where('status', '!=', 'needs_reauth')
    .orderBy(sql`integration_error_at IS NULL`)
    .orderBy('updated_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}
