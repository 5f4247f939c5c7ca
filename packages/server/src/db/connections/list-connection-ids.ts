import type { Executor } from '../types.js';

/** Up to `limit` connection ids of one integration (bulk work goes in batches). */
export async function listConnectionIdsOfIntegration(db: Executor, integrationId: string, limit: number): Promise<string[]> {
  const rows = await db.selectFrom('connections').select('id').where('integration_id', '=', integrationId).limit(limit).execute();
  return rows.map((row) => row.id);
}
