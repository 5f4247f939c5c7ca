// The one guarded HTTP client for every outbound call (token, revoke, webhook), shaped as
// `fetch` so oauth4webapi can use it. Its dispatcher (dispatch.ts) checks the address a call
// goes to — after DNS resolution, so a hostname that resolves to 127.0.0.1 is caught —
// against the address policy, directly or before an outbound proxy is asked to connect. It
// never follows redirects, bounds response size and time, and reports whether the request
// was fully sent (a timeout after that may have been processed by the provider: with
// rotation, its outcome is unknown).
import type { OutboundPolicy } from './address-policy.js';
import { directDispatcher, openRequest, type Dispatch, type Dispatcher } from './dispatch.js';
import { OutboundBlockedError, OutboundProxyError, OutboundRequestError } from './errors.js';

export interface OutboundOptions {
  timeoutMs: number;
  maxResponseBytes?: number;
}

export type GuardedFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Builds the guarded `fetch` that goes direct. Every call goes through DNS → address check → connect. */
export function createGuardedFetch(policy: OutboundPolicy, defaults: OutboundOptions): GuardedFetch {
  return guardedFetchVia(directDispatcher(policy), defaults);
}

/** The guarded `fetch` over a dispatcher (direct, or through a proxy: outbound/provider-egress.ts). */
export function guardedFetchVia(dispatcher: Dispatcher, defaults: OutboundOptions): GuardedFetch {
  return async (input, init = {}) => {
    const request = input instanceof Request ? input : null;
    const url = new URL(request ? request.url : String(input));
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OutboundRequestError(`unsupported scheme ${url.protocol}`, 'network_error', false);
    const dispatch = await dispatchOrExplain(dispatcher, url);

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
      const opened = openRequest(url, { method, headers: Object.fromEntries(headers.entries()) }, dispatch);
      const req = opened.request;
      req.on('response', (res) => {
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
      });
      const timer = setTimeout(() => fail(new OutboundRequestError(`no complete answer within ${timeoutMs} ms`, 'timeout', sent)), timeoutMs);
      req.on('finish', () => {
        sent = true;
      });
      req.on('error', (raw) => {
        const error = opened.explain(raw);
        if (error instanceof OutboundBlockedError || error instanceof OutboundProxyError) return fail(error);
        fail(new OutboundRequestError(error.message, 'network_error', sent, { cause: error }));
      });
      signal?.addEventListener('abort', () => fail(new OutboundRequestError('aborted', 'timeout', sent)), { once: true });
      req.end(body ?? undefined);
    });
  };
}

/** A destination that cannot even be resolved fails like the network, before anything was sent. */
async function dispatchOrExplain(dispatcher: Dispatcher, url: URL): Promise<Dispatch> {
  try {
    return await dispatcher(url);
  } catch (error) {
    if (error instanceof OutboundBlockedError || error instanceof OutboundProxyError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new OutboundRequestError(message, 'network_error', false, { cause: error });
  }
}

async function toBuffer(body: NonNullable<RequestInit['body']>): Promise<Buffer> {
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof URLSearchParams) return Buffer.from(body.toString());
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return Buffer.from(await new Response(body).arrayBuffer());
}
