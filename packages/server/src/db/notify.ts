import { sql } from 'kysely';
import type { Executor } from './types.js';

export const CONNECTION_CHANNEL = 'grantkeeper_connection_changed';

/** A refresh lease given back without a commit (payload: the connection's uuid): its waiters look again. */
export const LEASE_CHANNEL = 'grantkeeper_lease_released';

/**
 * Tells every instance (on commit) that a connection's grant changed, so their token caches
 * drop it within a second. Payload: `<uuid>:<generation>`.
 */
export async function notifyConnectionChanged(db: Executor, connectionId: string, generation: number): Promise<void> {
  await sql`SELECT pg_notify(${CONNECTION_CHANNEL}, ${`${connectionId}:${generation}`})`.execute(db);
}
