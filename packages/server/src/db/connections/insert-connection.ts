import type { Insertable } from 'kysely';
import type { ConnectionsTable } from '../schema.js';
import type { ConnectionRow, Executor } from '../types.js';

export async function insertConnection(db: Executor, row: Insertable<ConnectionsTable>): Promise<ConnectionRow> {
  return db.insertInto('connections').values(row).returningAll().executeTakeFirstOrThrow();
}
