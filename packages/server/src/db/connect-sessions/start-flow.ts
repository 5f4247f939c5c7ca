import type { Executor } from '../types.js';
import type { ConnectSessionRow } from './find-session.js';

export interface FlowStart {
  stateHash: string;
  codeVerifierEnc: string;
  flowExpiresAt: Date;
  now: Date;
}

/**
 * Uses up a connect session: only one request can move it from unused to a flow in
 * progress (the compare on `used_at IS NULL` is the lock). Undefined when it was already
 * used or has expired.
 */
export async function startFlow(db: Executor, id: string, flow: FlowStart): Promise<ConnectSessionRow | undefined> {
  return db
    .updateTable('connect_sessions')
    .set({
      used_at: flow.now,
      state_hash: flow.stateHash,
      code_verifier_enc: flow.codeVerifierEnc,
      flow_expires_at: flow.flowExpiresAt,
    })
    .where('id', '=', id)
    .where('used_at', 'is', null)
    .where('expires_at', '>', flow.now)
    .returningAll()
    .executeTakeFirst();
}

/** Remembers which refresh token was revoked when the flow started (a dead grant's). */
export async function setRevokedFingerprint(db: Executor, id: string, fingerprint: string): Promise<void> {
  await db.updateTable('connect_sessions').set({ revoked_refresh_token_fp: fingerprint }).where('id', '=', id).execute();
}
