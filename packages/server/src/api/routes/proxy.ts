// `ANY /v1/connections/{id}/proxy/{path…}`: the caller's request, forwarded to the
// connection's provider API by the proxy service (proxy/service.ts), the answer streamed back.
// This plugin only adapts HTTP: it takes any body as raw bytes (up to
// GRANTKEEPER_PROXY_MAX_BODY_BYTES, else 413) and marks every answer Grantkeeper gives itself
// with `grantkeeper-proxy-error: true`, so a client can tell ours from the provider's.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { principalOf } from '../../auth/principal.js';
import { requireScope } from '../../auth/scopes.js';
import type { AppContext } from '../../context.js';
import type { ApiProxy } from '../../proxy/service.js';
import { auditOf } from '../audit-context.js';

// HEAD comes with GET (Fastify's HEAD twin of every GET route).
export const PROXY_METHODS: HTTPMethods[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const PREFIX = '/v1/connections/';

/** The request target after `…/proxy`, as the client sent it (never decoded by the router). */
function proxyTail(rawUrl: string): string {
  const at = rawUrl.indexOf('/proxy', PREFIX.length);
  return at === -1 ? '' : rawUrl.slice(at + '/proxy'.length);
}

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
    // Any content type, as bytes: the provider reads the body, not Grantkeeper.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: ctx.config.proxy.maxBodyBytes }, (_request, body, done) => done(null, body));
    const forwarded = new WeakSet<FastifyRequest>();
    // A callback hook, not an async one: no promise per proxied call.
    app.addHook('onSend', (request, reply, payload, done) => {
      if (!forwarded.has(request)) reply.header('grantkeeper-proxy-error', 'true');
      done(null, payload);
    });

    const handler = async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
      const answer = await proxy.forward({
        connectionId: request.params.id,
        method: request.method,
        pathAndQuery: proxyTail(request.raw.url ?? ''),
        headers: request.headers,
        body: Buffer.isBuffer(request.body) ? request.body : null,
        integrations: principalOf(request).integrations,
        audit: auditOf(request),
      });
      forwarded.add(request);
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) answer.body.destroy();
      });
      return reply.code(answer.status).headers(answer.headers).send(answer.body);
    };
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
