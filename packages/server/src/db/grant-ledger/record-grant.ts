import type { Executor } from '../types.js';

export interface GrantRecord {
  provider: string;
  clientId: string;
  orgId: string;
  userId: string;
  connectionId: string;
  issuedAt: Date;
}

export async function recordGrant(db: Executor, grant: GrantRecord): Promise<void> {
  await db
    .insertInto('grant_ledger')
    .values({
      id: crypto.randomUUID(),
      provider: grant.provider,
      client_id: grant.clientId,
      org_id: grant.orgId,
      user_id: grant.userId,
      connection_id: grant.connectionId,
      issued_at: grant.issuedAt,
    })
    .execute();
}
