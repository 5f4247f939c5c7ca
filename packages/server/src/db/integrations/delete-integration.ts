import type { Executor } from '../types.js';

export async function deleteIntegration(db: Executor, id: string): Promise<boolean> {
  const result = await db.deleteFrom('integrations').where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}
