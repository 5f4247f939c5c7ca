// What a scope allows. Each /v1 route declares the one scope it needs where it is declared
// (`config: requireScope('connections:read')`); api/app.ts refuses to register a /v1 route
// without one and checks it on every request, before the body is even read.
import type { Scope } from '../domain/access.js';
import { SCOPES } from '../domain/access.js';
import { forbidden } from '../errors.js';
import type { Principal } from './principal.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a /v1 route needs; set with `requireScope` where the route is declared. */
    requiredScope?: Scope;
  }
}

/** Declares the scope a route needs: `r.get(path, { config: requireScope('tokens:read'), schema }, …)`. */
export function requireScope(scope: Scope): { requiredScope: Scope } {
  return { requiredScope: scope };
}

/** A granted scope and the ones it implies. */
const IMPLIES: Partial<Record<Scope, readonly Scope[]>> = {
  admin: SCOPES,
  'connections:write': ['connections:read'],
  // tokens:read covers the proxy (which uses a token without handing it out).
  'tokens:read': ['proxy'],
};

/** Scopes that hand out a provider access token or act with one: a dashboard session never has them. */
const TOKEN_SCOPES: ReadonlySet<Scope> = new Set<Scope>(['tokens:read', 'proxy']);

/** Everything the granted scopes allow; for a dashboard session, never a token. */
export function effectiveScopes(granted: readonly Scope[], options: { viaSession: boolean }): ReadonlySet<Scope> {
  const all = new Set<Scope>();
  for (const scope of granted) {
    all.add(scope);
    for (const implied of IMPLIES[scope] ?? []) all.add(implied);
  }
  if (options.viaSession) for (const scope of TOKEN_SCOPES) all.delete(scope);
  return all;
}

export function insufficientScope(scope: Scope, principal: Principal) {
  const detail = principal.viaSession && TOKEN_SCOPES.has(scope)
    ? 'A dashboard session never obtains access tokens; use an API key with this scope.'
    : `This API key lacks the "${scope}" scope.`;
  return forbidden('insufficient_scope', detail, { required_scope: scope });
}

/** Throws the 403 unless the principal holds the scope (directly or implied). */
export function assertScope(principal: Principal, scope: Scope): void {
  if (!principal.scopes.has(scope)) throw insufficientScope(scope, principal);
}
