import type { Executor } from '../types.js';

export interface GrantRecord {
  provider: string;
  clientId: string;
  orgId: string;
  userId: string;
  /** null: a grant obtained but not kept (e.g. a reconnect as the wrong account). */
  connectionId: string | null;
  issuedAt: Date;
}

/** Records a grant as live; returns its ledger row id. */
export async function recordGrant(db: Executor, grant: GrantRecord): Promise<string> {
  const id = crypto.randomUUID();
  await db
    .insertInto('grant_ledger')
    .values({
      id,
      provider: grant.provider,
      client_id: grant.clientId,
      org_id: grant.orgId,
      user_id: grant.userId,
      connection_id: grant.connectionId,
      issued_at: grant.issuedAt,
    })
    .execute();
  return id;
}
