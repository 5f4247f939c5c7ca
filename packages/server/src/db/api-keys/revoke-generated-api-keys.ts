import type { Executor } from '../types.js';

/** `keys reset-api-key`: every generated key goes; keys made through the API stay. */
export async function revokeGeneratedApiKeys(db: Executor): Promise<number> {
  const result = await db
    .updateTable('api_keys')
    .set({ revoked_at: new Date() })
    .where('source', '=', 'generated')
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
