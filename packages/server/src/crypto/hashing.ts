// Hashes for values we must recognise but never store: API keys and connect tokens are
// high-entropy random strings, so a plain SHA-256 is enough (no password stretching).
// Refresh tokens get a *keyed* fingerprint, so a database dump cannot confirm a guess.
import { createHash, randomBytes } from 'node:crypto';
import type { Keyring } from './keyring.js';

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** A random, URL-safe token with a readable prefix, e.g. `gk_sk_…`, `ct_…`. */
export function randomToken(prefix: string, bytes = 32): string {
  return `${prefix}${randomBytes(bytes).toString('base64url')}`;
}

/** `<kid>:<hex>` — the kid says which key made it, so lookups can try every key in the ring. */
export function refreshTokenFingerprint(keyring: Keyring, refreshToken: string, kid = keyring.primary.kid): string {
  return `${kid}:${keyring.hmac('refresh-token-fingerprint', refreshToken, kid).toString('hex')}`;
}

/** Every fingerprint this token could have been stored under (one per configured key). */
export function allRefreshTokenFingerprints(keyring: Keyring, refreshToken: string): string[] {
  return keyring.keys.map((k) => refreshTokenFingerprint(keyring, refreshToken, k.kid));
}
