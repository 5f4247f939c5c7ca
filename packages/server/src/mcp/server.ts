// The MCP server: four tools over one caller's backend (./backend.ts), each offered only
// when the caller's key has the scope it needs. A thin adapter: listing, reading and connect
// links are the /v1 API's own answers; `call_api` is the API proxy. No tool returns a token
// or a secret — the connection view never holds one, and the proxy keeps the token to itself.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { DomainError } from '../errors.js';
import type { ApiAnswer, McpBackend } from './backend.js';
import { readLimited } from './read-body.js';

/** The most of a provider's response body `call_api` returns (the rest is cut, and says so). */
export const CALL_API_MAX_BODY_BYTES = 100_000;

const ConnectionId = z.string().regex(/^conn_[0-9a-f]{32}$/, 'a connection id: conn_ and 32 hex digits');
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

const result = (value: unknown, isError = false): CallToolResult => ({ content: [{ type: 'text', text: JSON.stringify(value, null, 2) }], ...(isError ? { isError } : {}) });
/** A /v1 answer as a tool result: the body, or the problem document marked as an error. */
const fromApi = (answer: ApiAnswer): CallToolResult => result(answer.body, answer.status >= 400);

function queryString(query: Record<string, string> | undefined): string {
  if (!query || Object.keys(query).length === 0) return '';
  return `?${new URLSearchParams(query).toString()}`;
}

export function buildMcpServer(backend: McpBackend, version: string): McpServer {
  const server = new McpServer({ name: 'grantkeeper', version });
  const has = (scope: Parameters<McpBackend['scopes']['has']>[0]) => backend.scopes.has(scope);

  if (has('connections:read')) {
    server.registerTool('list_connections', {
      description: "List the connections (end users' grants) this key may see, newest first: id, integration, end user, status and diagnosis. Never a token.",
      inputSchema: {
        integration: z.string().max(64).optional().describe('only this integration (its key)'),
        status: z.enum(['active', 'refresh_failing', 'needs_reauth']).optional(),
        end_user_id: z.string().max(256).optional(),
        limit: z.number().int().min(1).max(200).optional().describe('at most this many (default 50)'),
      },
      annotations: { readOnlyHint: true },
    }, async (args) => {
      const query = Object.fromEntries(Object.entries({ ...args, limit: args.limit === undefined ? undefined : String(args.limit) }).filter(([, v]) => v !== undefined)) as Record<string, string>;
      return fromApi(await backend.api('GET', `/v1/connections${queryString(query)}`));
    });

    server.registerTool('get_connection', {
      description: 'One connection: its status, its diagnosis (why a grant died and who can fix it) and, when the end user must act, the reconnect_url to send them.',
      inputSchema: { connection_id: ConnectionId },
      annotations: { readOnlyHint: true },
    }, async ({ connection_id }) => {
      const answer = await backend.api('GET', `/v1/connections/${connection_id}`);
      if (answer.status >= 400) return fromApi(answer);
      const connection = answer.body as { status?: string };
      const reconnect = connection.status === 'needs_reauth' ? backend.reconnectUrl(connection_id) : null;
      return result({ ...connection, reconnect_url: reconnect });
    });
  }

  if (has('connections:write')) {
    server.registerTool('create_connect_link', {
      description: 'A one-time link for an end user to authorize an integration (or, with connection_id, to re-authorize that connection). Send the url to the end user.',
      inputSchema: {
        integration: z.string().min(1).max(64),
        end_user_id: z.string().min(1).max(256),
        connection_id: ConnectionId.optional().describe('re-authorize this existing connection'),
      },
    }, async ({ integration, end_user_id, connection_id }) =>
      fromApi(await backend.api('POST', '/v1/connect-sessions', { integration, end_user: { id: end_user_id }, ...(connection_id ? { connection_id } : {}) })),
    );
  }

  if (has('proxy')) {
    server.registerTool('call_api', {
      description: `Call the provider's API as the connection (through Grantkeeper's API proxy: the token is added there and never shown). path is below the provider's API base, as the provider's API reference writes it (the base is the connection's API host). Returns status, headers and body; bodies over ${CALL_API_MAX_BODY_BYTES} bytes are truncated (truncated: true).`,
      inputSchema: {
        connection_id: ConnectionId,
        method: z.enum(METHODS),
        path: z.string().min(1).max(4096).regex(/^\//, 'starts with /'),
        query: z.record(z.string()).optional(),
        headers: z.record(z.string()).optional(),
        body: z.union([z.string(), z.record(z.unknown()), z.array(z.unknown())]).optional().describe('a string is sent as is; anything else as JSON'),
      },
    }, async ({ connection_id, method, path, query, headers, body }) => {
      const json = body !== undefined && typeof body !== 'string';
      const payload = body === undefined ? null : Buffer.from(json ? JSON.stringify(body) : body, 'utf8');
      const sent = { ...(json ? { 'content-type': 'application/json' } : {}), ...Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])) };
      try {
        const answer = await backend.proxy({ connectionId: connection_id, method, pathAndQuery: path + queryString(query), headers: sent, body: payload });
        const read = await readLimited(answer.body, CALL_API_MAX_BODY_BYTES);
        return result({ status: answer.status, headers: answer.headers, body: read.text, truncated: read.truncated }, answer.status >= 400);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        return result({ grantkeeper_error: { code: error.code, detail: error.message, ...error.extra } }, true);
      }
    });
  }
  return server;
}
