import type { Executor } from '../types.js';
import type { ConnectSessionRow } from './find-session.js';

/** A connection's connect sessions nobody has used yet that stay valid past `until`, newest first. */
export async function findUnusedSessions(db: Executor, connectionId: string, until: Date, limit: number): Promise<ConnectSessionRow[]> {
  return db
    .selectFrom('connect_sessions')
    .selectAll()
    .where('connection_id', '=', connectionId)
    .where('used_at', 'is', null)
    .where('expires_at', '>', until)
    .orderBy('created_at', 'desc')
    .limit(limit)
    .execute();
}
