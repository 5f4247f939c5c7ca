import type { Executor, IntegrationRow } from '../types.js';

export async function findIntegrationByKey(db: Executor, key: string): Promise<IntegrationRow | undefined> {
  return db.selectFrom('integrations').selectAll().where('key', '=', key).executeTakeFirst();
}

export async function findIntegrationById(db: Executor, id: string): Promise<IntegrationRow | undefined> {
  return db.selectFrom('integrations').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The integration a connection belongs to, by the connection's id (a join: no need to read the connection first). */
export async function findIntegrationOfConnection(db: Executor, connectionId: string): Promise<IntegrationRow | undefined> {
  return db
    .selectFrom('integrations')
    .selectAll('integrations')
    .innerJoin('connections', 'connections.integration_id', 'integrations.id')
    .where('connections.id', '=', connectionId)
    .executeTakeFirst();
}
