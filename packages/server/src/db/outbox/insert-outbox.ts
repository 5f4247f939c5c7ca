import type { Insertable } from 'kysely';
import type { OutboxTable } from '../schema.js';
import type { Executor } from '../types.js';

export async function insertOutbox(db: Executor, row: Insertable<OutboxTable>): Promise<void> {
  await db.insertInto('outbox').values(row).execute();
}
