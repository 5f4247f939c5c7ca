import type { Executor } from '../types.js';

export async function countConnectionsOfIntegration(db: Executor, integrationId: string): Promise<number> {
  const row = await db
    .selectFrom('connections')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('integration_id', '=', integrationId)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}
