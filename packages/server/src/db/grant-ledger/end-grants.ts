import type { Executor } from '../types.js';

/** Marks a connection's live grants as ended (deleted, replaced by a reconnect, revoked). */
export async function endGrantsOfConnection(db: Executor, connectionId: string, reason: string): Promise<void> {
  await db
    .updateTable('grant_ledger')
    .set({ live: false, ended_at: new Date(), ended_reason: reason })
    .where('connection_id', '=', connectionId)
    .where('live', '=', true)
    .execute();
}
