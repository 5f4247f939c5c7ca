import { sql } from 'kysely';
import type { ConnectionRow, Executor } from '../types.js';

export async function updateConnectionMetadata(
  db: Executor,
  id: string,
  metadata: Record<string, unknown>,
): Promise<ConnectionRow | undefined> {
  return db
    .updateTable('connections')
    .set({ metadata: JSON.stringify(metadata), updated_at: sql`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}
