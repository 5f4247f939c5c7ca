import { randomBytes } from 'node:crypto';

/**
 * Salesforce record ids (docs/salesforce.md): a 15-character case-sensitive id plus a
 * 3-character suffix that makes the 18-character form case-insensitive. For each
 * 5-character chunk, bit i is set when character i is an upper-case letter; the
 * 5-bit number indexes the alphabet below.
 */
const SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function caseSafeSuffix(id15: string): string {
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const c = id15.charCodeAt(chunk * 5 + i);
      if (c >= 65 && c <= 90) bits |= 1 << i;
    }
    suffix += SUFFIX_ALPHABET[bits];
  }
  return suffix;
}

export function to18(id: string): string {
  if (id.length === 18) return id;
  if (id.length !== 15) throw new Error(`not a Salesforce id: ${id}`);
  return id + caseSafeSuffix(id);
}

/** True when `id` is a well-formed 15- or 18-character id (checking the suffix of the latter). */
export function isSalesforceId(id: string): boolean {
  if (!/^[0-9A-Za-z]{15}([0-9A-Z]{3})?$/.test(id)) return false;
  return id.length === 15 || caseSafeSuffix(id.slice(0, 15)) === id.slice(15);
}

let counter = 0;

/** A fresh 18-character id with the given key prefix (`00D` org, `005` user, `0Ci` approval). */
export function newSalesforceId(prefix: string): string {
  counter = (counter + 1) % 62 ** 3;
  const random = randomBytes(6);
  let body = '';
  // Shape like real ids (`00D7F0000001I8v`): prefix, a pod-ish pair, zeros, then entropy.
  for (let i = 0; i < 2; i++) body += BASE62[random[i]! % 62];
  body += '000';
  let n = counter;
  for (let i = 0; i < 3; i++) {
    body += BASE62[n % 62];
    n = Math.floor(n / 62);
  }
  for (let i = 2; i < 6; i++) body += BASE62[random[i]! % 62];
  return to18((prefix + body).slice(0, 15));
}

/** URL-safe token text without the characters Salesforce never shows (`-`, `=`). */
function opaque(bytes: number): string {
  return randomBytes(bytes).toString('base64').replace(/\+/g, '.').replace(/\//g, '_').replace(/=+$/, '');
}

/** Access tokens start with the 15-character org id and `!` (docs/salesforce.md). */
export function newAccessToken(orgId18: string): string {
  return `${orgId18.slice(0, 15)}!${opaque(84)}`;
}

export function newRefreshToken(): string {
  return `5Aep861${opaque(60)}`;
}

/** Authorization codes are standard base64 ending in `==` (docs/salesforce.md): 64 bytes gives that padding. */
export function newAuthorizationCode(): string {
  return randomBytes(64).toString('base64');
}

export function newOpaqueToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}
