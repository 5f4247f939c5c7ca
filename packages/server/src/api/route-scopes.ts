// Every /v1 route declares the scope it needs (`config: requireScope(…)`) where it is
// declared. Here that is made impossible to forget — a /v1 route without one fails at
// registration, so the server does not start — shown in the OpenAPI document (the
// `secretKey` requirement lists the scope), and checked on every request right after
// authentication, before the body is parsed.
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { principalOf } from '../auth/principal.js';
import { assertScope } from '../auth/scopes.js';
import { forbidden } from '../errors.js';

function declareScope(route: RouteOptions): void {
  const scope = route.config?.requiredScope;
  if (!scope) {
    const method = Array.isArray(route.method) ? route.method.join(',') : route.method;
    throw new Error(`${method} ${route.url} declares no scope: add \`config: requireScope('…')\` where the route is declared (auth/scopes.ts)`);
  }
  const schema = route.schema ?? {};
  const description = typeof schema.description === 'string' ? `${schema.description}\n\n` : '';
  route.schema = { ...schema, description: `${description}Scope: \`${scope}\`.`, security: [{ secretKey: [scope] }] };
}

/** Makes every route registered on the /v1 plugin declare its scope (registration fails otherwise). */
export function declareRouteScopes(v1: FastifyInstance): void {
  v1.addHook('onRoute', declareScope);
}

/** Refuses the request unless its principal holds the route's scope (called right after authentication). */
export function assertRouteScope(request: FastifyRequest): void {
  const scope = request.routeOptions.config.requiredScope;
  // declareScope made every /v1 route name one; should one still lack it, nothing is allowed.
  if (!scope) throw forbidden('insufficient_scope', 'This route declares no scope.');
  assertScope(principalOf(request), scope);
}
