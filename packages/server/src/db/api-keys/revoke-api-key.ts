import type { Executor } from '../types.js';

/** Revokes one key; false when there is no such active key. */
export async function revokeApiKey(db: Executor, id: string): Promise<boolean> {
  const result = await db.updateTable('api_keys').set({ revoked_at: new Date() }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
