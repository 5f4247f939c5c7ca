// `POST /mcp`: the MCP server (mcp/) over Streamable HTTP, stateless — each request gets a
// server built for its caller, whose tools are limited by the key's scopes. The Bearer key
// is checked as on /v1 (wrong keys count against the client's limit); a dashboard session
// cannot use it. The tools reach /v1 as the same key (in-process), and the API proxy.
import type { FastifyPluginAsync, InjectOptions } from 'fastify';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { authenticate } from '../../auth/authenticate.js';
import { principalOf } from '../../auth/principal.js';
import type { AppContext } from '../../context.js';
import { DomainError, forbidden } from '../../errors.js';
import type { McpBackend } from '../../mcp/backend.js';
import { buildMcpServer } from '../../mcp/server.js';
import { fromPublicId } from '../../model/ids.js';
import { connectionReconnectUrl } from '../../model/reconnect-link.js';
import type { ApiProxy } from '../../proxy/service.js';
import { auditOf } from '../audit-context.js';

/** Calls this server's own routes in-process (Fastify's inject). */
type Inject = (options: InjectOptions) => Promise<{ statusCode: number; body: string }>;

const VERSION = '0.1.0';

export function mcpRoutes(ctx: AppContext, proxy: ApiProxy, inject: Inject): FastifyPluginAsync {
  return async (app) => {
    app.post('/mcp', {
      schema: {
        tags: ['mcp'],
        summary: 'The MCP server (Streamable HTTP, stateless): tools list_connections, get_connection, create_connect_link, call_api, as the scopes of the Bearer API key allow',
      },
    }, async (request, reply) => {
      await authenticate(ctx, request);
      const principal = principalOf(request);
      if (principal.viaSession) throw forbidden('insufficient_scope', 'A dashboard session cannot use MCP; use an API key.');
      const authorization = request.headers.authorization ?? '';
      const backend: McpBackend = {
        scopes: principal.scopes,
        async api(method, path, body) {
          const answer = await inject({
            method,
            url: path,
            headers: { authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
            remoteAddress: request.ip,
            ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
          });
          let parsed: unknown = null;
          try {
            parsed = answer.body ? (JSON.parse(answer.body) as unknown) : null;
          } catch {
            parsed = { detail: 'not a JSON answer' };
          }
          return { status: answer.statusCode, body: parsed };
        },
        proxy: (call) => proxy.forward({ ...call, integrations: principal.integrations, audit: auditOf(request) }),
        reconnectUrl(connectionId) {
          const id = fromPublicId('connection', connectionId);
          return id ? connectionReconnectUrl(ctx, id) : null;
        },
      };
      const server = buildMcpServer(backend, VERSION);
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      reply.hijack();
      reply.raw.on('close', () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(request.raw, reply.raw, request.body);
    });

    // Stateless: no stream to open (GET) and no session to end (DELETE).
    for (const method of ['GET', 'DELETE'] as const) {
      app.route({ method, url: '/mcp', schema: { hide: true }, handler: async (_request, reply) => {
        reply.header('allow', 'POST');
        throw new DomainError('method_not_allowed', 'method_not_allowed', 'This MCP endpoint is stateless: POST JSON-RPC messages to it.');
      } });
    }
  };
}
