import type { Executor } from '../types.js';
import type { ConnectSessionRow } from './find-session.js';

/**
 * Marks a flow's callback as received. Exactly one callback per flow gets the row back;
 * a replay gets undefined. The code verifier is dropped: it is never needed again.
 */
export async function completeFlow(db: Executor, id: string, now: Date): Promise<ConnectSessionRow | undefined> {
  return db
    .updateTable('connect_sessions')
    .set({ completed_at: now, code_verifier_enc: null })
    .where('id', '=', id)
    .where('completed_at', 'is', null)
    .where('used_at', 'is not', null)
    .returningAll()
    .executeTakeFirst();
}
