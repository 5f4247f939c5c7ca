// `/v1` is authenticated with `Authorization: Bearer <secret key>` (several keys may be
// valid during rotation) or, for the dashboard's own calls, its session cookie. Both checks
// are in memory and constant-time (digests, HMACs), not database queries, so they cost the
// token fast path nothing measurable.
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { unauthorized } from '../errors.js';
import { sessionMayCallApi } from './dashboard-access.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who authenticated this request (scopes idempotency keys). */
    apiKeyScope?: string;
  }
}

function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

export function authenticate(ctx: AppContext, request: FastifyRequest): void {
  const token = bearerToken(request);
  if ((token !== null && ctx.apiKeys.verify(token)) || sessionMayCallApi(ctx.keyring, request)) {
    request.apiKeyScope = 'api';
    return;
  }
  throw unauthorized();
}
