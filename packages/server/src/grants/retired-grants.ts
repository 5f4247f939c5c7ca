// Refresh tokens a connection let go of. With rotation, presenting a rotated-out token makes
// the provider revoke the whole token family — the live token of the connection that rotated
// it too. So every token a rotation or a reconnect replaces is remembered by its keyed
// fingerprints, and an import of one is refused (`409 retired_grant`).
import type { AppContext } from '../context.js';
import { decryptSecret } from '../crypto/envelope.js';
import { allRefreshTokenFingerprints } from '../crypto/hashing.js';
import { retireFingerprints } from '../db/retired-grants/retire-fingerprints.js';
import type { ConnectionRow, Executor } from '../db/types.js';
import { toPublicId } from '../model/ids.js';
import { connectionSecretPlace } from '../model/secret-places.js';

/** The token a write is about to replace, ready to be recorded in that write's transaction. */
export interface Retirement {
  connectionId: string;
  fingerprints: string[];
  reason: 'rotated' | 'replaced';
}

/**
 * What replacing the refresh token `row` holds with `replacement` retires: computed before
 * the write, so nothing here can fail the transaction that stores a rotated token. Null when
 * there is nothing to retire (no stored token, or the provider handed the same one back).
 */
export function retirementOf(
  ctx: AppContext,
  row: Pick<ConnectionRow, 'id' | 'refresh_token_enc'>,
  replacement: string,
  reason: Retirement['reason'],
): Retirement | null {
  if (!row.refresh_token_enc) return null;
  let retired: string;
  try {
    retired = decryptSecret(ctx.keyring, row.refresh_token_enc, connectionSecretPlace(row.id, 'refresh_token_enc'));
  } catch (error) {
    // Only a key removed from the ring mid-write gets here; the new token must still be stored.
    ctx.log.warn({ connection: toPublicId('connection', row.id), err: { message: (error as Error).message } }, 'could not fingerprint the replaced refresh token');
    return null;
  }
  if (retired === replacement) return null;
  // One fingerprint per key in the ring: after a key rollout removes the old key, the one made
  // under the new key still matches.
  return { connectionId: row.id, fingerprints: allRefreshTokenFingerprints(ctx.keyring, retired), reason };
}

/** Records a retirement, in the transaction that stores the replacement. */
export async function recordRetirement(trx: Executor, retirement: Retirement | null): Promise<void> {
  if (retirement) await retireFingerprints(trx, retirement.connectionId, retirement.fingerprints, retirement.reason);
}
