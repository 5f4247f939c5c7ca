// The dashboard reads and acts through the public /v1 API (in-process, via inject) with
// the visitor's own session cookie, so it shows exactly what the API contract gives and
// needs no access of its own to the database or to other teams' modules.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CSRF_HEADER } from '../auth/dashboard-sessions.js';

export interface ApiResult {
  status: number;
  body: any;
}

export interface ApiClient {
  get(path: string): Promise<ApiResult>;
  send(method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<ApiResult>;
}

export function apiClient(app: FastifyInstance, request: FastifyRequest, csrf: string): ApiClient {
  const call = async (method: string, url: string, body?: unknown): Promise<ApiResult> => {
    const headers: Record<string, string> = { cookie: request.headers.cookie ?? '', [CSRF_HEADER]: csrf };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await app.inject({ method: method as 'GET', url, headers, payload: body === undefined ? undefined : JSON.stringify(body) });
    let parsed: unknown = null;
    try {
      parsed = response.body ? JSON.parse(response.body) : null;
    } catch {
      parsed = null;
    }
    return { status: response.statusCode, body: parsed };
  };
  return {
    get: (path) => call('GET', path),
    send: (method, path, body) => call(method, path, body),
  };
}

/** `/v1/connections` + a query string from defined values. */
export function withQuery(path: string, params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') search.set(k, String(v));
  const text = search.toString();
  return text ? `${path}?${text}` : path;
}
