import type { ConnectionRow, Executor } from '../types.js';

/** The connection of an integration that carries this external_id (index connections_external_id). */
export async function findConnectionByExternalId(db: Executor, integrationId: string, externalId: string): Promise<ConnectionRow | undefined> {
  return db
    .selectFrom('connections')
    .selectAll()
    .where('integration_id', '=', integrationId)
    .where('external_id', '=', externalId)
    .executeTakeFirst();
}
