import type { Executor } from '../types.js';

export async function insertSessionRevocation(db: Executor, sessionDigest: string, expiresAt: Date): Promise<void> {
  await db
    .insertInto('dashboard_session_revocations')
    .values({ session_digest: sessionDigest, expires_at: expiresAt })
    .onConflict((oc) => oc.column('session_digest').doNothing())
    .execute();
}
