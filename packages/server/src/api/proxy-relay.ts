// The HTTP side every proxy route shares (`/v1/connections/{id}/proxy…`, Nango's
// `/nango/proxy…`): any body taken as raw bytes up to GRANTKEEPER_PROXY_MAX_BODY_BYTES (else
// 413), every answer Grantkeeper gives itself marked `grantkeeper-proxy-error: true`, and the
// provider's answer streamed back unchanged (its stream destroyed if the caller goes away).
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import type { ProxyAnswer } from '../proxy/service.js';

// HEAD comes with GET (Fastify's HEAD twin of every GET route).
export const PROXY_METHODS: HTTPMethods[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** The request target after the first `/proxy` at or after `from`, as the client sent it (never decoded by the router). */
export function proxyTail(rawUrl: string, from = 0): string {
  const at = rawUrl.indexOf('/proxy', from);
  return at === -1 ? '' : rawUrl.slice(at + '/proxy'.length);
}

export interface ProxyRelay {
  /** Streams the provider's answer to the caller; this answer is the provider's, not marked. */
  send(request: FastifyRequest, reply: FastifyReply, answer: ProxyAnswer): FastifyReply;
}

/** Sets up a proxy plugin's body parsing and marking; call once inside the plugin. */
export function setUpProxyRelay(app: FastifyInstance, maxBodyBytes: number): ProxyRelay {
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
    send(request, reply, answer) {
      forwarded.add(request);
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) answer.body.destroy();
      });
      return reply.code(answer.status).headers(answer.headers).send(answer.body);
    },
  };
}
