// Provider API calls through Grantkeeper's API proxy (`/v1/connections/{id}/proxy/…`): the
// server adds the token and refreshes once on the provider's 401, so this side never holds
// a token — a key with only the `proxy` scope is enough. The provider's answer comes back as
// a plain Response, streamed; Grantkeeper's own refusals (marked `grantkeeper-proxy-error`)
// are thrown as the SDK's typed errors.
import { errorFromResponse } from './errors.js';
import type { FetchLike } from './fetch.js';

export type ProxyMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

export interface ProxyRequest {
  connectionId: string;
  /** Default `GET`. */
  method?: ProxyMethod;
  /** Below the provider's API base, starting with `/`, e.g. `/services/data/v62.0/limits`. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  headers?: RequestInit['headers'];
  /** A string, bytes, form or stream is sent as is; a plain object or array as JSON. */
  body?: NonNullable<RequestInit['body']> | Record<string, unknown> | unknown[];
  signal?: AbortSignal;
}

/** `proxy()` without the method, for `get`, `post` and the like. */
export type ProxyCallOptions = Omit<ProxyRequest, 'method'>;

interface ProxyTarget {
  baseUrl: string;
  secretKey: string;
  fetch: FetchLike;
}

const isJson = (body: unknown): body is Record<string, unknown> | unknown[] =>
  Array.isArray(body) || (body !== null && typeof body === 'object' && Object.getPrototypeOf(body) === Object.prototype);

export async function proxyCall(target: ProxyTarget, request: ProxyRequest): Promise<Response> {
  if (!request.path.startsWith('/')) throw new TypeError('Grantkeeper proxy: path must start with "/"');
  // URL parsing would resolve dot segments here, sending the call to another Grantkeeper
  // route instead of the provider: refused before anything is sent (the server refuses them too).
  if (request.path.split(/[/?#]/).some((segment) => /^(\.|%2e){1,2}$/i.test(segment))) {
    throw new TypeError('Grantkeeper proxy: path must not contain . or .. segments');
  }
  const url = new URL(`${target.baseUrl}/v1/connections/${encodeURIComponent(request.connectionId)}/proxy${request.path}`);
  for (const [name, value] of Object.entries(request.query ?? {})) {
    if (value !== undefined) url.searchParams.append(name, String(value));
  }
  const headers = new Headers(request.headers);
  headers.set('authorization', `Bearer ${target.secretKey}`);
  const init: RequestInit = { method: request.method ?? 'GET', headers };
  if (request.signal) init.signal = request.signal;
  if (isJson(request.body)) {
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    init.body = JSON.stringify(request.body);
  } else if (request.body !== undefined) {
    init.body = request.body;
    // A stream body must say so to fetch (Node's undici).
    if (typeof ReadableStream !== 'undefined' && request.body instanceof ReadableStream) Object.assign(init, { duplex: 'half' });
  }
  const res = await target.fetch(url, init);
  if (res.headers.get('grantkeeper-proxy-error') !== 'true') return res;
  const text = await res.text();
  let problem: unknown;
  try {
    problem = JSON.parse(text);
  } catch {
    problem = { detail: text };
  }
  throw errorFromResponse(res.status, problem, res.headers);
}
