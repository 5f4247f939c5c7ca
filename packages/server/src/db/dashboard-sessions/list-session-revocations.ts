import { sql } from 'kysely';
import type { Executor } from '../types.js';

/** Logged-out sessions that would otherwise still be valid. */
export async function listSessionRevocations(db: Executor): Promise<{ session_digest: string; expires_at: Date }[]> {
  return db.selectFrom('dashboard_session_revocations').select(['session_digest', 'expires_at']).where('expires_at', '>', sql<Date>`now()`).execute();
}
