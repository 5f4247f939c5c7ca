import type { Insertable } from 'kysely';
import type { EventsTable } from '../schema.js';
import type { Executor } from '../types.js';

export async function insertEvent(db: Executor, event: Insertable<EventsTable>): Promise<void> {
  await db.insertInto('events').values(event).execute();
}
