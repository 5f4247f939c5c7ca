import { sql } from 'kysely';
import type { Executor } from '../types.js';

export const OUTBOX_CHANNEL = 'grantkeeper_outbox';

/** Wakes every instance's dispatcher when the emitting transaction commits (polling is the safety net). */
export async function notifyOutbox(db: Executor): Promise<void> {
  await sql`SELECT pg_notify(${OUTBOX_CHANNEL}, '')`.execute(db);
}
