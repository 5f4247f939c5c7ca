import { sql } from 'kysely';
import type { Executor } from '../types.js';

/** Takes the connection's next webhook sequence number (inside the transaction that emits the event). */
export async function nextEventSequence(db: Executor, connectionId: string): Promise<number> {
  const row = await db
    .updateTable('connections')
    .set({ event_sequence: sql`event_sequence + 1` })
    .where('id', '=', connectionId)
    .returning('event_sequence')
    .executeTakeFirstOrThrow();
  return Number(row.event_sequence);
}
