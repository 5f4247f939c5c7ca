// The browser half of the OAuth `state`: the POST that starts a flow sets a short-lived
// cookie holding a MAC of the state, and the callback requires it. A callback replayed
// from another browser, or a state lifted from a URL, has no such cookie. One cookie per
// flow (named by a prefix of the state's hash), so two tabs never overwrite each other.
import { timingSafeEqual } from 'node:crypto';
import type { Keyring } from '../crypto/keyring.js';

const PURPOSE = 'connect-state-cookie';

export function stateCookieName(stateHash: string): string {
  return `gk_flow_${stateHash.slice(0, 16)}`;
}

export function stateCookieValue(keyring: Keyring, state: string): string {
  return `${keyring.primary.kid}.${keyring.hmac(PURPOSE, state).toString('base64url')}`;
}

export function stateCookieMatches(keyring: Keyring, state: string, value: string | undefined): boolean {
  if (!value) return false;
  const dot = value.lastIndexOf('.');
  if (dot <= 0) return false;
  const kid = value.slice(0, dot);
  if (!keyring.find(kid)) return false;
  const given = Buffer.from(value.slice(dot + 1), 'base64url');
  const expected = keyring.hmac(PURPOSE, state, kid);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export interface CookieOptions {
  path: string;
  maxAgeS: number;
  secure: boolean;
}

export function setCookieHeader(name: string, value: string, options: CookieOptions): string {
  return `${name}=${value}; Path=${options.path}; Max-Age=${options.maxAgeS}; HttpOnly; SameSite=Lax${options.secure ? '; Secure' : ''}`;
}

export function clearCookieHeader(name: string, options: Omit<CookieOptions, 'maxAgeS'>): string {
  return setCookieHeader(name, '', { ...options, maxAgeS: 0 });
}

/** Cookies of a request (the last value wins for a repeated name). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    cookies.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return cookies;
}
