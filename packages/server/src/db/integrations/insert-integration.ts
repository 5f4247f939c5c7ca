import type { Insertable } from 'kysely';
import type { IntegrationsTable } from '../schema.js';
import type { Executor, IntegrationRow } from '../types.js';

export async function insertIntegration(db: Executor, row: Insertable<IntegrationsTable>): Promise<IntegrationRow> {
  return db.insertInto('integrations').values(row).returningAll().executeTakeFirstOrThrow();
}
