import type { Executor } from '../types.js';

/** Live grants of the same provider user issued after this connection's own (the 5-per-user evidence). */
export async function countNewerLiveGrants(
  db: Executor,
  key: { provider: string; clientId: string; orgId: string; userId: string },
  connectionId: string,
): Promise<number> {
  const own = await db
    .selectFrom('grant_ledger')
    .select('issued_at')
    .where('connection_id', '=', connectionId)
    .orderBy('issued_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!own) return 0;
  const row = await db
    .selectFrom('grant_ledger')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('provider', '=', key.provider)
    .where('client_id', '=', key.clientId)
    .where('org_id', '=', key.orgId)
    .where('user_id', '=', key.userId)
    .where('live', '=', true)
    .where('issued_at', '>', own.issued_at)
    .where((eb) => eb.or([eb('connection_id', 'is', null), eb('connection_id', '!=', connectionId)]))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}
