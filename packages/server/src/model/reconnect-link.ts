// Signed, long-lived re-authentication links (`/reconnect/{connection_id}?sig=…`), put in
// `reconnect_url`. The signature covers the connection and an expiry, under a key derived
// from the encryption keyring, so a link cannot be forged or extended.
import { timingSafeEqual } from 'node:crypto';
import type { Keyring } from '../crypto/keyring.js';
import { toPublicId } from './ids.js';

const PURPOSE = 'reconnect-link';

export function reconnectUrl(publicUrl: string, keyring: Keyring, publicConnectionId: string, ttlS: number, now = Date.now()): string {
  const expires = Math.floor(now / 1000) + ttlS;
  const mac = keyring.hmac(PURPOSE, `${publicConnectionId}.${expires}`).toString('base64url');
  return `${publicUrl}/reconnect/${publicConnectionId}?sig=${expires}.${keyring.primary.kid}.${mac}`;
}

export type LinkCheck = { ok: true } | { ok: false; reason: 'malformed' | 'expired' | 'invalid' };

export function verifyReconnectSignature(keyring: Keyring, publicConnectionId: string, sig: string, now = Date.now()): LinkCheck {
  const match = /^(\d{1,12})\.([A-Za-z0-9_-]{1,32})\.([A-Za-z0-9_-]{43})$/.exec(sig);
  if (!match) return { ok: false, reason: 'malformed' };
  const [, expiresText, kid, mac] = match as unknown as [string, string, string, string];
  if (!keyring.find(kid)) return { ok: false, reason: 'invalid' };
  const expected = keyring.hmac(PURPOSE, `${publicConnectionId}.${expiresText}`, kid);
  const given = Buffer.from(mac, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'invalid' };
  if (Number(expiresText) * 1000 < now) return { ok: false, reason: 'expired' };
  return { ok: true };
}

/** When a (verified) link's signature expires; null for a malformed one. */
export function reconnectLinkExpiry(sig: string): Date | null {
  const match = /^(\d{1,12})\./.exec(sig);
  return match ? new Date(Number(match[1]) * 1000) : null;
}

/** The connection's `reconnect_url` as API responses and webhooks carry it. */
export function connectionReconnectUrl(ctx: { config: { publicUrl: string; connect: { reconnectLinkTtlS: number } }; keyring: Keyring }, connectionRowId: string): string {
  return reconnectUrl(ctx.config.publicUrl, ctx.keyring, toPublicId('connection', connectionRowId), ctx.config.connect.reconnectLinkTtlS);
}
