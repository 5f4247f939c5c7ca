// The one guarded HTTP client for every outbound call (token, revoke, webhook), shaped as
// `fetch` so oauth4webapi can use it. It checks the address it actually connects to —
// after DNS resolution, so a hostname that resolves to 127.0.0.1 is caught — against the
// special-purpose ranges, never follows redirects, bounds response size and time, and
// reports whether the request was fully sent (a timeout after that may have been processed
// by the provider: with rotation, its outcome is unknown).
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';

export class OutboundBlockedError extends Error {
  override name = 'OutboundBlockedError';
  readonly requestSent = false;
  constructor(readonly address: string) {
    super(`outbound connection to ${address} refused: special-purpose address (set GRANTKEEPER_ALLOW_PRIVATE_NETWORK to allow it)`);
  }
}

export class OutboundRequestError extends Error {
  override name = 'OutboundRequestError';
  constructor(
    message: string,
    readonly kind: 'timeout' | 'network_error' | 'too_large',
    /** The whole request was handed to the network before the failure. */
    readonly requestSent: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

// IANA special-purpose registries (IPv4 and IPv6) plus cloud metadata addresses.
const SPECIAL_V4: [string, number][] = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16],
  ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.31.196.0', 24], ['192.52.193.0', 24],
  ['192.88.99.0', 24], ['192.168.0.0', 16], ['192.175.48.0', 24], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
];
const SPECIAL_V6: [string, number][] = [
  ['::', 128], ['::1', 128], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 23], ['2001:db8::', 32],
  ['3fff::', 20], ['5f00::', 16], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
];

const special = new BlockList();
for (const [net, prefix] of SPECIAL_V4) special.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of SPECIAL_V6) special.addSubnet(net, prefix, 'ipv6');

/** An IPv4 address hidden in an IPv6 one (mapped, NAT64 well-known prefix, 6to4), if any. */
export function embeddedIPv4(address: string): string | null {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:|::ffff:0:|64:ff9b::|::)(\d{1,3}(?:\.\d{1,3}){3})$/.exec(lower);
  if (dotted) return dotted[1]!;
  const groups = expandIPv6(lower);
  if (!groups) return null;
  const toV4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  // ::ffff:a.b.c.d written in hex, and the IPv4-compatible ::a.b.c.d (deprecated, still routable by some stacks)
  if (groups.slice(0, 5).every((g) => g === 0) && (groups[5] === 0xffff || groups[5] === 0) && (groups[6]! | groups[7]!) !== 0) {
    return toV4(groups[6]!, groups[7]!);
  }
  if (groups[0] === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((g) => g === 0)) return toV4(groups[6]!, groups[7]!);
  if (groups[0] === 0x2002) return toV4(groups[1]!, groups[2]!); // 6to4
  if (groups[0] === 0x2001 && groups[1] === 0) return toV4(groups[6]! ^ 0xffff, groups[7]! ^ 0xffff); // Teredo client
  return null;
}

function expandIPv6(address: string): number[] | null {
  if (isIP(address) !== 6) return null;
  let text = address.split('%')[0]!;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const parts = v4[1]!.split('.').map(Number);
    text = text.slice(0, -v4[1]!.length) + `${((parts[0]! << 8) | parts[1]!).toString(16)}:${((parts[2]! << 8) | parts[3]!).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined ? (tail ? tail.split(':') : []) : [];
  const fill = tail !== undefined ? new Array(8 - h.length - t.length).fill('0') : [];
  const groups = [...h, ...fill, ...t].map((g) => parseInt(g, 16));
  return groups.length === 8 && groups.every((g) => g >= 0 && g <= 0xffff) ? groups : null;
}

export function isSpecialPurposeAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return special.check(address, 'ipv4');
  if (family === 6) {
    const inner = embeddedIPv4(address);
    if (inner !== null) return special.check(inner, 'ipv4') || isPublicEmbeddingDisallowed(address);
    return special.check(address.split('%')[0]!, 'ipv6');
  }
  return true; // not an IP at all: refuse
}

/** Translation prefixes themselves are special-purpose even when they embed a public address. */
function isPublicEmbeddingDisallowed(address: string): boolean {
  const groups = expandIPv6(address.toLowerCase());
  if (!groups) return true;
  return groups[0] === 0x2001 && groups[1] === 0; // Teredo
}

export interface OutboundPolicy {
  /** true: private addresses allowed; a list: these hosts or CIDRs allowed; false: none. */
  allowPrivateNetwork: boolean | string[];
}

export function addressAllowed(policy: OutboundPolicy, address: string, hostname: string): boolean {
  if (policy.allowPrivateNetwork === true) return true;
  if (!isSpecialPurposeAddress(address)) return true;
  if (policy.allowPrivateNetwork === false) return false;
  for (const entry of policy.allowPrivateNetwork) {
    if (entry.toLowerCase() === hostname.toLowerCase() || entry === address) return true;
    const [net, bits] = entry.split('/');
    if (net && bits && isIP(net) && isIP(address) === isIP(net)) {
      const list = new BlockList();
      list.addSubnet(net, Number(bits), isIP(net) === 4 ? 'ipv4' : 'ipv6');
      if (list.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6')) return true;
    }
  }
  return false;
}

export interface OutboundOptions {
  timeoutMs: number;
  maxResponseBytes?: number;
}

export type GuardedFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Builds the guarded `fetch`. Every call goes through DNS → address check → connect. */
export function createGuardedFetch(policy: OutboundPolicy, defaults: OutboundOptions): GuardedFetch {
  const guardedLookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = (addresses as unknown as LookupAddress[]).filter((a) => addressAllowed(policy, a.address, hostname));
      if (list.length === 0) {
        const first = (addresses as unknown as LookupAddress[])[0];
        return callback(new OutboundBlockedError(first?.address ?? hostname), '', 0);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };
  const agents = {
    'http:': new http.Agent({ keepAlive: true, lookup: guardedLookup, maxSockets: 256 }),
    'https:': new https.Agent({ keepAlive: true, lookup: guardedLookup, maxSockets: 256 }),
  };

  return async (input, init = {}) => {
    const request = input instanceof Request ? input : null;
    const url = new URL(request ? request.url : String(input));
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OutboundRequestError(`unsupported scheme ${url.protocol}`, 'network_error', false);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    // A literal IP skips DNS, so it is checked here.
    if (isIP(host) && !addressAllowed(policy, host, host)) throw new OutboundBlockedError(host);

    const method = (init.method ?? request?.method ?? 'GET').toUpperCase();
    const headers = new Headers(init.headers ?? request?.headers);
    let body: Buffer | null = null;
    const rawBody = init.body ?? (request ? await request.arrayBuffer() : null);
    if (rawBody !== null && rawBody !== undefined) body = await toBuffer(rawBody as NonNullable<RequestInit['body']>);
    if (body && !headers.has('content-length')) headers.set('content-length', String(body.length));

    const timeoutMs = defaults.timeoutMs;
    const maxBytes = defaults.maxResponseBytes ?? 1024 * 1024;
    const signal = init.signal ?? request?.signal ?? null;

    return new Promise<Response>((resolve, reject) => {
      let sent = false;
      let settled = false;
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        reject(error);
      };
      const transport = url.protocol === 'https:' ? https : http;
      const req = transport.request(
        url,
        { method, headers: Object.fromEntries(headers.entries()), agent: agents[url.protocol as 'http:' | 'https:'] },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxBytes) fail(new OutboundRequestError(`response larger than ${maxBytes} bytes`, 'too_large', true));
            else chunks.push(chunk);
          });
          res.on('end', () => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            const responseHeaders = new Headers();
            for (const [name, value] of Object.entries(res.headers)) {
              if (Array.isArray(value)) for (const v of value) responseHeaders.append(name, v);
              else if (value !== undefined) responseHeaders.set(name, value);
            }
            const status = res.statusCode ?? 502;
            const nullBody = status === 204 || status === 304 || method === 'HEAD';
            // Response refuses some statuses (1xx, and 3xx bodies are fine); never follow redirects.
            resolve(new Response(nullBody ? null : Buffer.concat(chunks), { status, statusText: res.statusMessage ?? '', headers: responseHeaders }));
          });
          res.on('error', (error) => fail(new OutboundRequestError(error.message, 'network_error', true, { cause: error })));
        },
      );
      const timer = setTimeout(() => fail(new OutboundRequestError(`no complete answer within ${timeoutMs} ms`, 'timeout', sent)), timeoutMs);
      req.on('finish', () => {
        sent = true;
      });
      req.on('error', (error) => {
        if (error instanceof OutboundBlockedError) return fail(error);
        fail(new OutboundRequestError(error.message, 'network_error', sent, { cause: error }));
      });
      signal?.addEventListener('abort', () => fail(new OutboundRequestError('aborted', 'timeout', sent)), { once: true });
      req.end(body ?? undefined);
    });
  };
}

async function toBuffer(body: NonNullable<RequestInit['body']>): Promise<Buffer> {
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof URLSearchParams) return Buffer.from(body.toString());
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return Buffer.from(await new Response(body).arrayBuffer());
}
