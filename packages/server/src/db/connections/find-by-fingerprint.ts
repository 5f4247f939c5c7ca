import type { Executor } from '../types.js';

/** The connection already holding a refresh token, matched by any of its keyed fingerprints. */
export async function findConnectionByFingerprint(db: Executor, fingerprints: string[]): Promise<{ id: string } | undefined> {
  if (fingerprints.length === 0) return undefined;
  return db.selectFrom('connections').select('id').where('refresh_token_fp', 'in', fingerprints).executeTakeFirst();
}
