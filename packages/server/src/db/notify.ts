import { sql } from 'kysely';
import type { Executor } from './types.js';

export const CONNECTION_CHANNEL = 'grantkeeper_connection_changed';

/**
 * Tells every instance (on commit) that a connection's grant changed, so their token caches
 * drop it within a second. Payload: `<uuid>:<generation>`.
 */
export async function notifyConnectionChanged(db: Executor, connectionId: string, generation: number): Promise<void> {
  await sql`SELECT pg_notify(${CONNECTION_CHANNEL}, ${`${connectionId}:${generation}`})`.execute(db);
}
