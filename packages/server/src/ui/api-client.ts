// The dashboard reads and acts through the public /v1 API (in-process, via inject) with
// the visitor's own session cookie, so it shows exactly what the API contract gives and
// needs no access of its own to the database or to other teams' modules.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ProblemDocument } from '../api/schemas.js';
import { CSRF_HEADER } from '../auth/dashboard-sessions.js';

/** A 2xx answer with the route's response body (its schema's Static<> type), or its problem. */
type ApiResult<T> = { ok: true; status: number; body: T } | { ok: false; status: number; problem: ProblemDocument | null };

export interface ApiClient {
  get<T>(path: string): Promise<ApiResult<T>>;
  send<T>(method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<ApiResult<T>>;
}

export function apiClient(app: FastifyInstance, request: FastifyRequest, csrf: string): ApiClient {
  const call = async <T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown): Promise<ApiResult<T>> => {
    const headers: Record<string, string> = { cookie: request.headers.cookie ?? '', [CSRF_HEADER]: csrf };
    if (body !== undefined) headers['content-type'] = 'application/json';
    // The visitor's address, so the audit log records where a dashboard action came from.
    const response = await app.inject({ method, url, headers, remoteAddress: request.ip, payload: body === undefined ? undefined : JSON.stringify(body) });
    const status = response.statusCode;
    // A 2xx body was serialized through the route's response schema (T is its Static<> type);
    // every error is problem+json. An unreadable answer counts as a failure without a problem.
    let problem: ProblemDocument | null = null;
    try {
      if (status >= 200 && status < 300) return { ok: true, status, body: response.json<T>() };
      problem = response.body ? response.json<ProblemDocument>() : null;
    } catch {
      problem = null;
    }
    return { ok: false, status, problem };
  };
  return {
    get: <T>(path: string) => call<T>('GET', path),
    send: <T>(method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown) => call<T>(method, path, body),
  };
}

/** `/v1/connections` + a query string from defined values. */
export function withQuery(path: string, params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') search.set(k, String(v));
  const text = search.toString();
  return text ? `${path}?${text}` : path;
}
