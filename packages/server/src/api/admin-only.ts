// Routes only an `admin` key (or its dashboard session) may call: the audit log.
// A stand-in for the per-route scope check (`requireScope('admin')`) until that lands;
// swapping it is this one function.
import type { FastifyRequest } from 'fastify';
import { forbidden } from '../errors.js';

export async function requireAdminScope(request: FastifyRequest): Promise<void> {
  if (request.principal?.scopes.has('admin')) return;
  throw forbidden('insufficient_scope', 'This needs an API key with the "admin" scope.', { required_scope: 'admin' });
}
