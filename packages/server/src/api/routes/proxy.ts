// `ANY /v1/connections/{id}/proxy/{path…}`: the caller's request, forwarded to the
// connection's provider API by the proxy service (proxy/service.ts), the answer streamed back.
// This plugin only adapts HTTP (proxy-relay.ts: raw bodies, Grantkeeper's own answers marked
// `grantkeeper-proxy-error: true`, so a client can tell ours from the provider's).
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { requireScope } from '../../auth/scopes.js';
import type { AppContext } from '../../context.js';
import type { ApiProxy } from '../../proxy/service.js';
import { PROXY_METHODS, setUpProxyRelay } from '../proxy-relay.js';

const PREFIX = '/v1/connections/';

/**
 * Marks an answer to a proxy URL (`/v1/connections/{id}/proxy…`, Nango's `/nango/proxy…`) that
 * never reached its route (a malformed URL, an over-long id, a method it does not take) as
 * Grantkeeper's, like the route's own refusals.
 */
export function markIfProxyUrl(url: string, reply: FastifyReply): void {
  if (/^(?:\/v1\/connections\/[^/?]*|\/nango)\/proxy(?:[/?]|$)/.test(url)) reply.header('grantkeeper-proxy-error', 'true');
}

export function proxyRoutes(ctx: AppContext, proxy: ApiProxy): FastifyPluginAsync {
  return async (app) => {
    const relay = setUpProxyRelay(app, proxy, ctx.config.proxy.maxBodyBytes);

    const handler = async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) =>
      relay.forward(request, reply, { connectionId: request.params.id, headers: request.headers, pathFrom: PREFIX.length });
    const schema = {
      tags: ['connections'],
      summary: "Call the provider's API with the connection's token: every method, with a path and query below the API base",
      description:
        "Forwards the request to the connection's API base with `Authorization: Bearer <access token>`; on the provider's 401 refreshes once and replays. The provider's status, headers and body come back unchanged; Grantkeeper's own refusals carry `grantkeeper-proxy-error: true`.",
    };
    for (const url of [`${PREFIX}:id/proxy`, `${PREFIX}:id/proxy/*`]) {
      app.route({ method: PROXY_METHODS, url, config: requireScope('proxy'), schema, handler });
    }
  };
}
