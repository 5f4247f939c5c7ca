// The authenticated caller of one request: set by `authenticate`, read by the scope check
// declared on each route, by the integration limits, by idempotency (scoped per key) and by
// the audit log (the actor).
import type { Actor, Scope } from '../domain/access.js';
import { unauthorized } from '../errors.js';

export interface Principal {
  /** Who acts, as the audit log names them. */
  actor: Actor;
  /** The API key behind the request (a dashboard session carries the key that made it). */
  keyId: string;
  /** What the key allows, implied scopes included (a session never has the token scopes). */
  scopes: ReadonlySet<Scope>;
  /** Integration keys this key may see; null = every integration. */
  integrations: ReadonlySet<string> | null;
  /** A dashboard session: it may act as its key, but never obtain an access token. */
  viaSession: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `authenticate` on every /v1 request that passed it. */
    principal?: Principal;
  }
}

/** The principal of an authenticated request (every /v1 handler runs after `authenticate`). */
export function principalOf(request: { principal?: Principal }): Principal {
  if (!request.principal) throw unauthorized();
  return request.principal;
}
