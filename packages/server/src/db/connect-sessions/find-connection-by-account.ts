import type { ConnectionRow, Executor } from '../types.js';

/**
 * The connection of this end user to this provider account through this integration,
 * if one exists: a new authorization of the same account updates it in place.
 */
export async function findConnectionByAccount(
  db: Executor,
  key: { integrationId: string; endUserId: string; orgId: string; userId: string },
): Promise<ConnectionRow | undefined> {
  return db
    .selectFrom('connections')
    .selectAll()
    .where('integration_id', '=', key.integrationId)
    .where('end_user_id', '=', key.endUserId)
    .where('org_id', '=', key.orgId)
    .where('user_id', '=', key.userId)
    .orderBy('created_at', 'asc')
    .limit(1)
    .executeTakeFirst();
}
