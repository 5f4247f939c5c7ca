import { sql } from 'kysely';
import type { ConnectionRow, Executor } from '../types.js';

/** Dead grants of these orgs of an integration whose stored diagnosis has this code (at most `limit`). */
export async function deadConnectionsDiagnosed(db: Executor, integrationId: string, code: string, orgIds: readonly string[], limit: number): Promise<ConnectionRow[]> {
  if (orgIds.length === 0) return [];
  return db
    .selectFrom('connections')
    .selectAll()
    .where('integration_id', '=', integrationId)
    .where('status', '=', 'needs_reauth')
    .where('org_id', 'in', [...orgIds])
    .where(sql<boolean>`diagnosis->>'code' = ${code}`)
    .limit(limit)
    .execute();
}
