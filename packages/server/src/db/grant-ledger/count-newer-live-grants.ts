import type { Executor } from '../types.js';

/**
 * Grants of the same provider user issued after this connection's own that were live when
 * its own grant stopped being live — or are live now, if it still is (the 5-per-user
 * evidence). A grant the ledger marked `evicted_by_limit` is no longer live itself, yet the
 * grants that pushed it out still count, even if they ended since.
 */
export async function countNewerLiveGrants(
  db: Executor,
  key: { provider: string; clientId: string; orgId: string; userId: string },
  connectionId: string,
): Promise<number> {
  const own = await db
    .selectFrom('grant_ledger')
    .select(['issued_at', 'live', 'ended_at'])
    .where('connection_id', '=', connectionId)
    .orderBy('issued_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!own) return 0;
  const endedAt = own.live ? null : own.ended_at;
  const row = await db
    .selectFrom('grant_ledger')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('provider', '=', key.provider)
    .where('client_id', '=', key.clientId)
    .where('org_id', '=', key.orgId)
    .where('user_id', '=', key.userId)
    .where('issued_at', '>', own.issued_at)
    .where((eb) => (endedAt === null ? eb('live', '=', true) : eb.or([eb('live', '=', true), eb('ended_at', '>', endedAt)])))
    .where((eb) => eb.or([eb('connection_id', 'is', null), eb('connection_id', '!=', connectionId)]))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}
