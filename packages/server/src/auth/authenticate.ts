// `/v1` is authenticated with `Authorization: Bearer <secret key>` (several keys may be
// valid during rotation). The check is an in-memory constant-time digest comparison,
// not a database query, so it costs the token fast path nothing measurable.
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { problems } from '../api/problem.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** SHA-256 digest of the API key that authenticated this request (scopes idempotency keys). */
    apiKeyScope?: string;
  }
}

export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1]! : null;
}

export function authenticate(ctx: AppContext, request: FastifyRequest, extraCheck?: (req: FastifyRequest) => boolean): void {
  const token = bearerToken(request);
  if (token !== null && ctx.apiKeys.verify(token)) {
    request.apiKeyScope = 'api';
    return;
  }
  if (extraCheck?.(request)) {
    request.apiKeyScope = 'api';
    return;
  }
  throw problems.unauthorized();
}
