import type { Executor } from '../types.js';

/** `keys reset-api-key`: every generated key goes; keys made through the API stay. Returns the revoked rows' ids. */
export async function revokeGeneratedApiKeys(db: Executor): Promise<string[]> {
  const rows = await db
    .updateTable('api_keys')
    .set({ revoked_at: new Date() })
    .where('source', '=', 'generated')
    .where('revoked_at', 'is', null)
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}
