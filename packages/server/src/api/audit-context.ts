// Who acts in an authenticated /v1 request, and from where: handed to the services that
// record the change (they never reach for the request themselves).
import type { FastifyRequest } from 'fastify';
import type { AuditContext } from '../domain/audit.js';
import { unauthorized } from '../errors.js';

export function auditOf(request: FastifyRequest): AuditContext {
  const principal = request.principal;
  // Every /v1 route runs after authenticate(); a route without a principal is a wiring mistake.
  if (!principal) throw unauthorized();
  return { actor: principal.actor, ip: request.ip };
}
