import { isIP } from 'node:net';
import type { WireError } from './errors.js';

/**
 * The Refresh Token IP Allowlist of an External Client App (a developer setting, one per
 * app): when enforced, only requests from the listed ranges can complete the web server
 * flow's code exchange or a refresh-token grant [DOC] ("Set an IP Allowlist for Refresh
 * Tokens": up to 128 ranges, 256 addresses in all, IPv4 and IPv6; requests from elsewhere
 * are blocked outright, with no verification challenge). The address judged is the TCP
 * source address of the request (`req.socket.remoteAddress`): never a header, so a test
 * proves which way its client's traffic really left.
 *
 * The wire answer to a blocked request is not documented. The default,
 * `400 invalid_grant / ip restricted by app developer`, is what third-party integration docs
 * report [3P]; it is configurable per app.
 */

export interface IpRange {
  start: string;
  end: string;
}

export interface RefreshTokenIpAllowlist {
  ranges: IpRange[];
  error: WireError;
}

export const DEFAULT_ALLOWLIST_ERROR: WireError = {
  status: 400,
  body: { error: 'invalid_grant', error_description: 'ip restricted by app developer' },
};

/** Salesforce's limits on the list [DOC]. */
const MAX_RANGES = 128;
const MAX_ADDRESSES = 256n;

/** `::ffff:127.0.0.2` and `127.0.0.2` are the same source. */
function normalize(ip: string): string {
  return ip.toLowerCase().startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}

function toBigInt(ip: string): bigint {
  if (isIP(ip) === 4) return ip.split('.').reduce((n, part) => (n << 8n) | BigInt(Number(part)), 0n);
  const [head = '', tail] = ip.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** Checks the ranges as Salesforce's form does; throws TypeError (the control API's 400) on a bad one. */
export function parseRanges(input: unknown): IpRange[] {
  if (!Array.isArray(input)) throw new TypeError('ranges must be an array of { start, end } (or allowed_ips an array of addresses)');
  if (input.length > MAX_RANGES) throw new TypeError(`at most ${MAX_RANGES} ranges`);
  let total = 0n;
  return input.map((raw) => {
    const item = typeof raw === 'string' ? { start: raw, end: raw } : (raw as Record<string, unknown>);
    const start = typeof item?.start === 'string' ? normalize(item.start) : '';
    const end = typeof item?.end === 'string' ? normalize(item.end) : start;
    if (!isIP(start) || isIP(start) !== isIP(end) || (isIP(start) === 6 && start.includes('.'))) {
      throw new TypeError('each range needs start and end addresses of one family');
    }
    if (toBigInt(end) < toBigInt(start)) throw new TypeError('a range must not end below its start');
    total += toBigInt(end) - toBigInt(start) + 1n;
    if (total > MAX_ADDRESSES) throw new TypeError(`at most ${MAX_ADDRESSES} addresses in all`);
    return { start, end };
  });
}

export function isAllowedSource(allowlist: RefreshTokenIpAllowlist, sourceAddress: string): boolean {
  const source = normalize(sourceAddress);
  const family = isIP(source);
  if (family === 0 || (family === 6 && source.includes('.'))) return false;
  const n = toBigInt(source);
  return allowlist.ranges.some((r) => isIP(r.start) === family && toBigInt(r.start) <= n && n <= toBigInt(r.end));
}

/** The answer a blocked request gets: the default, or `{ status?, error, error_description }` given. */
export function parseAllowlistError(input: unknown): WireError {
  if (input === undefined || input === null) return DEFAULT_ALLOWLIST_ERROR;
  const v = input as Record<string, unknown>;
  if (typeof v.error !== 'string' || typeof v.error_description !== 'string') throw new TypeError('error must be { status?, error, error_description }');
  const status = v.status === undefined ? 400 : v.status;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599) throw new TypeError('error.status must be a 4xx or 5xx status');
  return { status, body: { error: v.error, error_description: v.error_description } };
}

/** As the control API and app views show it. */
export function allowlistView(allowlist: RefreshTokenIpAllowlist | null): { ranges: IpRange[]; error: { status: number; error: string; error_description: string } } | null {
  return allowlist && { ranges: allowlist.ranges.map((r) => ({ ...r })), error: { status: allowlist.error.status, ...allowlist.error.body } };
}
