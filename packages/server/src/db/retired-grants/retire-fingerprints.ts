import type { Executor } from '../types.js';

/**
 * Records a refresh token a connection let go of, under each of its keyed fingerprints (one
 * per key in the keyring). Called in the transaction that replaces the token, so the old one
 * is never both gone from the connection and unrecorded.
 */
export async function retireFingerprints(db: Executor, connectionId: string, fingerprints: string[], reason: 'rotated' | 'replaced'): Promise<void> {
  if (fingerprints.length === 0) return;
  await db
    .insertInto('retired_grants')
    .values(fingerprints.map((fingerprint) => ({ fingerprint, connection_id: connectionId, reason })))
    .onConflict((oc) => oc.column('fingerprint').doNothing())
    .execute();
}
