import type { Insertable } from 'kysely';
import type { RevocationsTable } from '../schema.js';
import type { Executor } from '../types.js';

export async function insertRevocation(db: Executor, row: Insertable<RevocationsTable>): Promise<void> {
  await db.insertInto('revocations').values(row).execute();
}
