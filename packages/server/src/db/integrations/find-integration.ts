import type { Executor, IntegrationRow } from '../types.js';

export async function findIntegrationByKey(db: Executor, key: string): Promise<IntegrationRow | undefined> {
  return db.selectFrom('integrations').selectAll().where('key', '=', key).executeTakeFirst();
}

export async function findIntegrationById(db: Executor, id: string): Promise<IntegrationRow | undefined> {
  return db.selectFrom('integrations').selectAll().where('id', '=', id).executeTakeFirst();
}
