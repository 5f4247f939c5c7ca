// Dashboard sessions: an API key is typed once and exchanged for a cookie holding a random
// session id, its expiry, the public id of the key that made it, and an HMAC over all three
// under a key derived from the encryption keyring. Every instance sharing the keyring accepts
// it without a query; the session acts with its key's scopes and ends with it (revoked,
// removed from the environment, reset: dashboard-access.ts). Logout is persisted
// (auth-state.ts); the cookie also dies at expiry or when its signing key leaves the keyring.
// State-changing requests must also carry a CSRF token derived from the session id.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Keyring } from '../crypto/keyring.js';

export const SESSION_COOKIE = 'gk_session';
const SESSION_PURPOSE = 'ui-session';
const CSRF_PURPOSE = 'ui-csrf';
export const CSRF_HEADER = 'x-grantkeeper-csrf';

export interface UiSession {
  id: string;
  expiresAt: number;
  /** The public id of the API key the session was made with (`key_…`). */
  keyId: string;
}

export function issueSession(keyring: Keyring, ttlS: number, keyId: string, now = Date.now()): { cookieValue: string; session: UiSession } {
  const id = randomBytes(18).toString('base64url');
  const expires = Math.floor(now / 1000) + ttlS;
  const kid = keyring.primary.kid;
  const mac = keyring.hmac(SESSION_PURPOSE, `${id}.${expires}.${keyId}`, kid).toString('base64url');
  return { cookieValue: `${id}.${expires}.${keyId}.${kid}.${mac}`, session: { id, expiresAt: expires * 1000, keyId } };
}

/** The session a cookie value holds if its HMAC is right and it has not expired (logout and the key are checked by the caller). */
export function verifySessionValue(keyring: Keyring, value: string, now = Date.now()): UiSession | null {
  const match = /^([A-Za-z0-9_-]{24})\.(\d{1,12})\.(key_[0-9a-f]{32})\.([A-Za-z0-9_-]{1,32})\.([A-Za-z0-9_-]{43})$/.exec(value);
  if (!match) return null;
  const [, id, expiresText, keyId, kid, mac] = match;
  if (!keyring.find(kid)) return null;
  const expected = keyring.hmac(SESSION_PURPOSE, `${id}.${expiresText}.${keyId}`, kid);
  const given = Buffer.from(mac, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const expiresAt = Number(expiresText) * 1000;
  if (expiresAt <= now) return null;
  return { id, expiresAt, keyId };
}

export function csrfToken(keyring: Keyring, session: UiSession): string {
  return keyring.hmac(CSRF_PURPOSE, session.id).toString('base64url');
}

export function csrfMatches(keyring: Keyring, session: UiSession, presented: unknown): boolean {
  if (typeof presented !== 'string') return false;
  const expected = Buffer.from(csrfToken(keyring, session));
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** One cookie's value from a Cookie header (no dependency; names are ours). */
export function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

export function sessionCookie(value: string, maxAgeS: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure ? '; Secure' : ''}`;
}

export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`;
}
