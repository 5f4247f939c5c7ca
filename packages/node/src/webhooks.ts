// Standard Webhooks verification (https://www.standardwebhooks.com) with node:crypto only:
// HMAC-SHA256 over `${webhook-id}.${webhook-timestamp}.${raw body}`, keyed with the
// base64 secret after `whsec_`, compared in constant time against every `v1,` entry of
// `webhook-signature` (two entries while a secret is being rotated).
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { WebhookEvent } from './types.js';

export type WebhookVerificationReason =
  | 'missing_headers'
  | 'invalid_timestamp'
  | 'timestamp_too_old'
  | 'timestamp_too_new'
  | 'no_matching_signature'
  | 'invalid_payload';

/** The message is not a genuine, fresh Grantkeeper delivery: answer 400 and do nothing. */
export class WebhookVerificationError extends Error {
  readonly reason: WebhookVerificationReason;
  constructor(reason: WebhookVerificationReason, message: string) {
    super(message);
    this.name = 'WebhookVerificationError';
    this.reason = reason;
  }
}

/** `Headers`, a plain object in any letter case, or Node's `IncomingHttpHeaders`. */
export type WebhookHeaders =
  | Headers
  | Record<string, string | string[] | undefined>;

export interface VerifyWebhookOptions {
  /** Accepted clock difference either way, in seconds (default 300). */
  toleranceS?: number;
  /** The current time, for tests and replays (default: now). */
  now?: Date | number;
}

const DEFAULT_TOLERANCE_S = 5 * 60;

/**
 * Verifies a delivery and returns its event. `rawBody` must be the exact bytes received:
 * a body parsed and re-serialized by a framework no longer matches its signature.
 * `secret` may be an array, to accept deliveries signed with either of two endpoint secrets.
 */
export function verifyWebhook(
  rawBody: string | Uint8Array,
  headers: WebhookHeaders,
  secret: string | readonly string[],
  options: VerifyWebhookOptions = {},
): WebhookEvent {
  if (typeof rawBody !== 'string' && !(rawBody instanceof Uint8Array)) {
    throw new TypeError('verifyWebhook: rawBody must be the raw request body (string or Buffer), not a parsed object');
  }
  const keys = (typeof secret === 'string' ? [secret] : [...secret]).map(decodeSecret);
  if (keys.length === 0) throw new TypeError('verifyWebhook: no secret given');

  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signature = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signature) {
    throw new WebhookVerificationError('missing_headers', 'missing webhook-id, webhook-timestamp or webhook-signature');
  }

  checkTimestamp(timestamp, options);

  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : Buffer.from(rawBody.buffer, rawBody.byteOffset, rawBody.byteLength);
  const signed = Buffer.concat([Buffer.from(`${id}.${timestamp}.`, 'utf8'), body]);
  const expected = keys.map((key) => createHmac('sha256', key).update(signed).digest());
  const offered = parseSignatures(signature);

  // Check every pair (no early exit on the first mismatch) so timing does not depend on
  // which entry or which secret matched.
  let matched = false;
  for (const candidate of offered) {
    for (const mac of expected) {
      if (candidate.length === mac.length && timingSafeEqual(candidate, mac)) matched = true;
    }
  }
  if (!matched) throw new WebhookVerificationError('no_matching_signature', 'no signature matches this payload');

  let event: unknown;
  try {
    event = JSON.parse(body.toString('utf8'));
  } catch {
    throw new WebhookVerificationError('invalid_payload', 'signed payload is not JSON');
  }
  if (typeof event !== 'object' || event === null || typeof (event as { type?: unknown }).type !== 'string') {
    throw new WebhookVerificationError('invalid_payload', 'signed payload is not an event ({ type, timestamp, data })');
  }
  return event as WebhookEvent;
}

function decodeSecret(secret: string): Buffer {
  const encoded = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  // Buffer's base64 decoder skips junk silently; reject it so a pasted-wrong secret fails loudly.
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) throw new TypeError('verifyWebhook: secret is not whsec_<base64>');
  const key = Buffer.from(encoded, 'base64');
  if (key.length === 0) throw new TypeError('verifyWebhook: secret is empty');
  return key;
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function' && typeof (headers as Headers).has === 'function') {
    return (headers as Headers).get(name) ?? undefined;
  }
  const record = headers as Record<string, string | string[] | undefined>;
  // Node lower-cases incoming names; plain objects written by hand may not be.
  let value = record[name];
  if (value === undefined) {
    for (const key of Object.keys(record)) {
      if (key.toLowerCase() === name) {
        value = record[key];
        break;
      }
    }
  }
  return Array.isArray(value) ? value.join(' ') : value;
}

function checkTimestamp(value: string, options: VerifyWebhookOptions): void {
  if (!/^\d{1,15}$/.test(value)) {
    throw new WebhookVerificationError('invalid_timestamp', 'webhook-timestamp is not a number of seconds');
  }
  const sentS = Number(value);
  const nowMs = options.now === undefined ? Date.now() : typeof options.now === 'number' ? options.now : options.now.getTime();
  const nowS = Math.floor(nowMs / 1000);
  const tolerance = options.toleranceS ?? DEFAULT_TOLERANCE_S;
  if (nowS - sentS > tolerance) throw new WebhookVerificationError('timestamp_too_old', 'webhook timestamp is too old');
  if (sentS - nowS > tolerance) throw new WebhookVerificationError('timestamp_too_new', 'webhook timestamp is in the future');
}

/** `v1,<base64> v1,<base64>` → the decoded v1 signatures; other versions are ignored. */
function parseSignatures(value: string): Buffer[] {
  const out: Buffer[] = [];
  for (const entry of value.split(/\s+/)) {
    const comma = entry.indexOf(',');
    if (comma < 0 || entry.slice(0, comma) !== 'v1') continue;
    // A proxy joining repeated headers with ", " leaves a trailing comma on an entry.
    const sig = entry.slice(comma + 1).replace(/,$/, '');
    if (sig) out.push(Buffer.from(sig, 'base64'));
  }
  return out;
}
