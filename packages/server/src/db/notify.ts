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

export interface ConnectionChange {
  connectionId: string;
  generation: number;
}

/** Several changes in one statement (outside the commits they announce: refresh/change-notifier.ts). */
export async function notifyConnectionsChanged(db: Executor, changes: ConnectionChange[]): Promise<void> {
  if (changes.length === 0) return;
  const payloads = changes.map((c) => `${c.connectionId}:${c.generation}`);
  await sql`SELECT pg_notify(${CONNECTION_CHANNEL}, payload) FROM unnest(${payloads}::text[]) AS payload`.execute(db);
}
