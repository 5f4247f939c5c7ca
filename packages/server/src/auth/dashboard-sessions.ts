// Dashboard sessions: the secret key is typed once and exchanged for a cookie holding a
// random session id, its expiry and an HMAC under a key derived from the encryption
// keyring. Stateless, so every instance sharing the keyring accepts it and /v1 can check
// it without a query. Logout revokes the id in this instance's memory and clears the
// cookie; the cookie also dies at expiry or when its signing key leaves the keyring.
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
}

/** Revoked session ids (logout) until they would have expired anyway. */
const revokedByKeyring = new WeakMap<Keyring, Map<string, number>>();

export function issueSession(keyring: Keyring, ttlS: number, now = Date.now()): { cookieValue: string; session: UiSession } {
  const id = randomBytes(18).toString('base64url');
  const expires = Math.floor(now / 1000) + ttlS;
  const kid = keyring.primary.kid;
  const mac = keyring.hmac(SESSION_PURPOSE, `${id}.${expires}`, kid).toString('base64url');
  return { cookieValue: `${id}.${expires}.${kid}.${mac}`, session: { id, expiresAt: expires * 1000 } };
}

export function verifySessionValue(keyring: Keyring, value: string, now = Date.now()): UiSession | null {
  const match = /^([A-Za-z0-9_-]{24})\.(\d{1,12})\.([A-Za-z0-9_-]{1,32})\.([A-Za-z0-9_-]{43})$/.exec(value);
  if (!match) return null;
  const [, id, expiresText, kid, mac] = match;
  if (!keyring.find(kid)) return null;
  const expected = keyring.hmac(SESSION_PURPOSE, `${id}.${expiresText}`, kid);
  const given = Buffer.from(mac, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const expiresAt = Number(expiresText) * 1000;
  if (expiresAt <= now) return null;
  if (revokedByKeyring.get(keyring)?.has(id)) return null;
  return { id, expiresAt };
}

export function revokeSession(keyring: Keyring, session: UiSession, now = Date.now()): void {
  let revoked = revokedByKeyring.get(keyring);
  if (!revoked) revokedByKeyring.set(keyring, (revoked = new Map()));
  for (const [id, expiresAt] of revoked) if (expiresAt <= now) revoked.delete(id);
  revoked.set(session.id, session.expiresAt);
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
