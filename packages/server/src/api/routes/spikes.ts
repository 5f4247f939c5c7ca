// Failure spikes (issue #6): GET /v1/spikes?active=true.
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../context.js';

export function spikeRoutes(_ctx: AppContext): FastifyPluginAsync {
  return async () => {};
}
