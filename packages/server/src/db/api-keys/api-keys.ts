import type { Executor } from '../types.js';

export async function listActiveApiKeyDigests(db: Executor): Promise<string[]> {
  const rows = await db.selectFrom('api_keys').select('digest').where('revoked_at', 'is', null).execute();
  return rows.map((r) => r.digest);
}

export async function insertApiKey(db: Executor, row: { id: string; digest: string; label: string }): Promise<void> {
  await db.insertInto('api_keys').values(row).execute();
}

export async function revokeAllApiKeys(db: Executor): Promise<number> {
  const result = await db.updateTable('api_keys').set({ revoked_at: new Date() }).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows);
}
