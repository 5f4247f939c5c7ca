import type { Selectable } from 'kysely';
import type { EventsTable } from '../schema.js';
import type { Executor } from '../types.js';
import type { EventCursor } from './list-connection-events.js';

/** The one event type that belongs to an integration itself (a failed connect flow; partial index events_connect_failed). */
export const CONNECT_FAILED_EVENT = 'connect_failed';

/** An integration's own history (failed connect flows), newest first, keyset-paginated on (at, id). */
export async function listIntegrationEvents(
  db: Executor,
  integrationId: string,
  limit: number,
  after: EventCursor | null,
): Promise<Selectable<EventsTable>[]> {
  let query = db.selectFrom('events').selectAll().where('integration_id', '=', integrationId).where('type', '=', CONNECT_FAILED_EVENT);
  if (after) {
    query = query.where((eb) => eb(eb.refTuple('at', 'id'), '<', eb.tuple(after.at, after.id)));
  }
  return query.orderBy('at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
}
