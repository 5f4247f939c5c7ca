// A provider API call with the connection's token: inject it, and when the provider says
// the session expired, get a fresh token once and replay once. Salesforce answers an
// expired or revoked session with 401 [{"errorCode":"INVALID_SESSION_ID", …}], but also
// sends that code for sessions a refresh cannot fix; retrying those would only loop
// (jsforce#39, #1301), so they are returned to the caller as they came.
import type { Token } from './types.js';

export type FetchLike = (input: string | URL, init?: RequestInit) => Promise<Response>;

/** What `fetchWithToken` needs from the client; kept narrow so it can be tested alone. */
export interface TokenSource {
  getToken(connectionId: string): Promise<Token>;
  /** A token to replace `rejected`: a newer cached one if another caller already got it, else a forced refresh. */
  tokenAfterRejection(connectionId: string, rejected: Token): Promise<Token>;
}

/** 401 bodies carrying these messages are not cured by a refresh (docs/salesforce.md). */
const NOT_CURED_BY_REFRESH = [
  'This session is not valid for use with the REST API',
  'Connected app is not attached to Agent',
];

export async function fetchWithToken(
  source: TokenSource,
  fetchImpl: FetchLike,
  connectionId: string,
  pathOrUrl: string | URL,
  init: RequestInit = {},
): Promise<Response> {
  const send = (token: Token): Promise<Response> => {
    const headers = new Headers(init.headers);
    headers.set('authorization', `${token.tokenType || 'Bearer'} ${token.accessToken}`);
    return fetchImpl(resolveUrl(pathOrUrl, token.instanceUrl), { ...init, headers });
  };

  const token = await source.getToken(connectionId);
  const first = await send(token);
  if (first.status !== 401 || !isReplayable(init.body)) return first;
  if (!(await isExpiredSession(first))) return first;

  await first.body?.cancel().catch(() => {});
  const fresh = await source.tokenAfterRejection(connectionId, token);
  // Exactly one replay: if the fresh token is refused too, that answer is the caller's.
  return send(fresh);
}

/** Relative paths resolve against the connection's instance URL and must stay on its origin. */
export function resolveUrl(pathOrUrl: string | URL, instanceUrl: string | null): URL {
  if (pathOrUrl instanceof URL) return pathOrUrl;
  if (/^[a-z][a-z0-9+.-]*:/i.test(pathOrUrl)) return new URL(pathOrUrl);
  if (!instanceUrl) {
    throw new TypeError(`cannot resolve ${JSON.stringify(pathOrUrl)}: the connection has no instance_url`);
  }
  const base = new URL(instanceUrl);
  const url = new URL(pathOrUrl, base);
  // "//other.host/x" is relative syntax but another origin: never send the token there by accident.
  if (url.origin !== base.origin) {
    throw new TypeError(`relative path ${JSON.stringify(pathOrUrl)} leaves the instance origin ${base.origin}`);
  }
  return url;
}

/**
 * Bodies fetch can send twice as they are. A stream (web ReadableStream, Node stream, async
 * iterable) is consumed by the first attempt; buffering it just in case would cost memory
 * on every call, so such requests are simply not retried.
 */
export function isReplayable(body: RequestInit['body']): boolean {
  if (body === undefined || body === null) return true;
  if (typeof body === 'string') return true;
  if (body instanceof URLSearchParams || body instanceof Blob || body instanceof FormData) return true;
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return true;
  return false;
}

/** Reads a copy of the 401 body, so the caller still gets the original untouched. */
async function isExpiredSession(res: Response): Promise<boolean> {
  let text: string;
  try {
    text = await res.clone().text();
  } catch {
    return false;
  }
  if (NOT_CURED_BY_REFRESH.some((m) => text.includes(m))) return false;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return false;
  }
  return (
    Array.isArray(body) &&
    body.some((e: unknown) => typeof e === 'object' && e !== null && (e as { errorCode?: unknown }).errorCode === 'INVALID_SESSION_ID')
  );
}
