import type { Executor } from '../types.js';

/** The key of the integration a connection belongs to (it never changes), or undefined. */
export async function findConnectionIntegrationKey(db: Executor, connectionId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('connections as c')
    .innerJoin('integrations as i', 'i.id', 'c.integration_id')
    .select('i.key')
    .where('c.id', '=', connectionId)
    .executeTakeFirst();
  return row?.key;
}
