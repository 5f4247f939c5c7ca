// Connect flow (issue #5): POST /v1/connect-sessions (authenticated) and the public
// /connect/{token}, /oauth/callback, /reconnect/{connection_id} pages.
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../context.js';
import type { RefreshEngine } from '../../refresh/engine.js';

export interface ConnectDeps {
  engine: RefreshEngine;
}

/** Authenticated: `POST /v1/connect-sessions`. */
export function connectSessionRoutes(_ctx: AppContext, _deps: ConnectDeps): FastifyPluginAsync {
  return async () => {};
}

/** Public: the hosted pages and the OAuth callback. */
export function connectPublicRoutes(_ctx: AppContext, _deps: ConnectDeps): FastifyPluginAsync {
  return async () => {};
}
