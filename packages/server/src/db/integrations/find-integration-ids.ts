import type { Executor } from '../types.js';

/** The row ids of the integrations with these keys (unknown keys are left out). */
export async function findIntegrationIds(db: Executor, keys: readonly string[]): Promise<string[]> {
  if (keys.length === 0) return [];
  const rows = await db.selectFrom('integrations').select('id').where('key', 'in', [...keys]).execute();
  return rows.map((r) => r.id);
}
