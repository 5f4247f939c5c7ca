// The dashboard's data (issues #6, #7): GET /v1/stats/refreshes, GET /v1/spikes.
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../context.js';

export function statsRoutes(_ctx: AppContext): FastifyPluginAsync {
  return async () => {};
}
