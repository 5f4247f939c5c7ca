import type { Selectable } from 'kysely';
import type { EventsTable } from '../schema.js';
import type { Executor } from '../types.js';

export interface EventCursor {
  at: Date;
  id: string;
}

/** Newest first, keyset-paginated on (at, id). */
export async function listConnectionEvents(
  db: Executor,
  connectionId: string,
  limit: number,
  after: EventCursor | null,
): Promise<Selectable<EventsTable>[]> {
  let query = db.selectFrom('events').selectAll().where('connection_id', '=', connectionId);
  if (after) {
    query = query.where((eb) => eb(eb.refTuple('at', 'id'), '<', eb.tuple(after.at, after.id)));
  }
  return query.orderBy('at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
}
