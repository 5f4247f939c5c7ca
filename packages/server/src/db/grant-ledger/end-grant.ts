import type { Executor } from '../types.js';

/** Ends one ledger row (evicted by the provider's limit, or a grant that was not kept). */
export async function endGrant(db: Executor, id: string, reason: string, at: Date): Promise<void> {
  await db
    .updateTable('grant_ledger')
    .set({ live: false, ended_at: at, ended_reason: reason })
    .where('id', '=', id)
    .where('live', '=', true)
    .execute();
}

/** Ends a connection's live grants other than the one just recorded (its grant was replaced). */
export async function endOtherGrantsOfConnection(db: Executor, connectionId: string, keepId: string, reason: string, at: Date): Promise<void> {
  await db
    .updateTable('grant_ledger')
    .set({ live: false, ended_at: at, ended_reason: reason })
    .where('connection_id', '=', connectionId)
    .where('id', '!=', keepId)
    .where('live', '=', true)
    .execute();
}
