// The dashboard (issue #7): /ui and POST /ui/session.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';

export function uiRoutes(_ctx: AppContext): FastifyPluginAsync {
  return async () => {};
}

/** Whether the request carries a valid dashboard session cookie (accepted by /v1 like an API key). */
export function hasUiSession(_ctx: AppContext, _request: FastifyRequest): boolean {
  return false;
}
