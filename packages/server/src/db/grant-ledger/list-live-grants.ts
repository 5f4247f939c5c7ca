import type { Executor } from '../types.js';

export interface LiveGrant {
  id: string;
  connection_id: string | null;
  issued_at: Date;
}

/** The live grants of one provider user through one app, oldest first (the eviction order). */
export async function listLiveGrants(
  db: Executor,
  key: { provider: string; clientId: string; orgId: string; userId: string },
): Promise<LiveGrant[]> {
  return db
    .selectFrom('grant_ledger')
    .select(['id', 'connection_id', 'issued_at'])
    .where('provider', '=', key.provider)
    .where('client_id', '=', key.clientId)
    .where('org_id', '=', key.orgId)
    .where('user_id', '=', key.userId)
    .where('live', '=', true)
    .orderBy('issued_at', 'asc')
    .orderBy('id', 'asc')
    .execute();
}
