// The HTTP side every proxy route shares (`/v1/connections/{id}/proxy…`, Nango's
// `/nango/proxy…`): every body taken as raw bytes up to GRANTKEEPER_PROXY_MAX_BODY_BYTES (else
// 413), every answer Grantkeeper gives itself marked `grantkeeper-proxy-error: true`, and the
// provider's answer streamed back unchanged (its stream destroyed if the caller goes away).
// A route says only what differs: which connection, which headers go on, where the path starts.
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { principalOf } from '../auth/principal.js';
import type { ApiProxy } from '../proxy/service.js';
import { auditOf } from './audit-context.js';

// HEAD comes with GET (Fastify's HEAD twin of every GET route).
export const PROXY_METHODS: HTTPMethods[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** The request target after the first `/proxy` at or after `from`, as the client sent it (never decoded by the router). */
function proxyTail(rawUrl: string, from: number): string {
  const at = rawUrl.indexOf('/proxy', from);
  return at === -1 ? '' : rawUrl.slice(at + '/proxy'.length);
}

/** What a route knows of one call that the request alone does not say. */
export interface RelayTarget {
  /** The connection's public id. */
  connectionId: string;
  /** The headers meant for the provider (the proxy service still filters them). */
  headers: IncomingHttpHeaders;
  /** Where in the raw URL the route's own part ends; the first `/proxy` after it starts the target. */
  pathFrom: number;
  baseUrlOverride?: string;
}

export interface ProxyRelay {
  /** Forwards the request through the proxy service and streams the provider's answer back, unmarked. */
  forward(request: FastifyRequest, reply: FastifyReply, target: RelayTarget): Promise<FastifyReply>;
}

/** Sets up a proxy plugin's body parsing and marking; call once inside the plugin. */
export function setUpProxyRelay(app: FastifyInstance, proxy: ApiProxy, maxBodyBytes: number): ProxyRelay {
  // Any content type, as bytes: the provider reads the body, not Grantkeeper.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: maxBodyBytes }, (_request, body, done) => done(null, body));
  const forwarded = new WeakSet<FastifyRequest>();
  // A callback hook, not an async one: no promise per proxied call.
  app.addHook('onSend', (request, reply, payload, done) => {
    if (!forwarded.has(request)) reply.header('grantkeeper-proxy-error', 'true');
    done(null, payload);
  });
  return {
    async forward(request, reply, target) {
      const answer = await proxy.forward({
        connectionId: target.connectionId,
        method: request.method,
        pathAndQuery: proxyTail(request.raw.url ?? '', target.pathFrom),
        headers: target.headers,
        body: Buffer.isBuffer(request.body) ? request.body : null,
        integrations: principalOf(request).integrations,
        audit: auditOf(request),
        ...(target.baseUrlOverride ? { baseUrlOverride: target.baseUrlOverride } : {}),
      });
      forwarded.add(request);
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) answer.body.destroy();
      });
      return reply.code(answer.status).headers(answer.headers).send(answer.body);
    },
  };
}
