// `/v1` is authenticated with `Authorization: Bearer <secret key>` (several keys may be
// valid during rotation) or, for the dashboard's own calls, its session cookie. Both checks
// are in memory and constant-time (digests, HMACs), not database queries, so they cost the
// token fast path nothing measurable. The result is the request's `principal`.
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { SCOPES } from '../domain/access.js';
import { unauthorized } from '../errors.js';
import { sessionMayCallApi } from './dashboard-access.js';
import type { Principal } from './principal.js';

function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

/** Every key today is an environment (or generated first-start) key: `admin`. */
const ADMIN_KEY: Principal = {
  actor: { type: 'api_key', id: 'env', name: 'GRANTKEEPER_SECRET_KEY' },
  keyId: 'env',
  scopes: new Set(SCOPES),
  integrations: null,
  viaSession: false,
};
const ADMIN_SESSION: Principal = { ...ADMIN_KEY, actor: { ...ADMIN_KEY.actor, type: 'dashboard' }, viaSession: true };

export function authenticate(ctx: AppContext, request: FastifyRequest): void {
  const token = bearerToken(request);
  if (token !== null && ctx.apiKeys.verify(token)) {
    request.principal = ADMIN_KEY;
    return;
  }
  if (sessionMayCallApi(ctx.keyring, request)) {
    request.principal = ADMIN_SESSION;
    return;
  }
  throw unauthorized();
}
