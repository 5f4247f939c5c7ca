// The one guarded HTTP client for every outbound call (token, revoke, webhook), shaped as
// `fetch` so oauth4webapi can use it. It checks the address it actually connects to —
// after DNS resolution, so a hostname that resolves to 127.0.0.1 is caught — against the
// address policy, never follows redirects, bounds response size and time, and reports
// whether the request was fully sent (a timeout after that may have been processed by the
// provider: with rotation, its outcome is unknown).
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { addressAllowed, type OutboundPolicy } from './address-policy.js';
import { OutboundBlockedError, OutboundRequestError } from './errors.js';

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
