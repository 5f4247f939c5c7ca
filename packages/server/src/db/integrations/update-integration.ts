import { sql, type Updateable } from 'kysely';
import type { IntegrationsTable } from '../schema.js';
import type { Executor, IntegrationRow } from '../types.js';

/** Compare-and-set on `generation`: undefined when someone else changed the row first. */
export async function updateIntegration(
  db: Executor,
  id: string,
  expectedGeneration: number,
  patch: Updateable<IntegrationsTable>,
): Promise<IntegrationRow | undefined> {
  return db
    .updateTable('integrations')
    .set({ ...patch, generation: sql`generation + 1`, updated_at: sql`now()` })
    .where('id', '=', id)
    .where('generation', '=', expectedGeneration)
    .returningAll()
    .executeTakeFirst();
}
