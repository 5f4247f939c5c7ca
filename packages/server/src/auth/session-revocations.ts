// Dashboard logouts, in memory for the no-query session check, persisted so a logout outlives
// a restart (and reaches every instance through NOTIFY). Sessions are known by the SHA-256
// of their id; each entry goes once the session would have expired anyway.
import { sha256Hex } from '../crypto/hashing.js';

export class SessionRevocations {
  private readonly revoked = new Map<string, number>();

  static digest(sessionId: string): string {
    return sha256Hex(sessionId);
  }

  isRevoked(sessionId: string): boolean {
    return this.revoked.has(SessionRevocations.digest(sessionId));
  }

  add(digest: string, expiresAtMs: number, now = Date.now()): void {
    if (expiresAtMs <= now) return;
    this.revoked.set(digest, expiresAtMs);
    for (const [d, expiresAt] of this.revoked) if (expiresAt <= now) this.revoked.delete(d);
  }

  /** Adds what the database holds (merged, never replaced: a logout heard meanwhile stays). */
  merge(rows: readonly { session_digest: string; expires_at: Date }[]): void {
    for (const r of rows) this.add(r.session_digest, r.expires_at.getTime());
  }
}
