// The provider catalog (issue #10): GET /v1/providers, GET /v1/providers/{key}.
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../context.js';

export function providerRoutes(_ctx: AppContext): FastifyPluginAsync {
  return async () => {};
}
