// What the MCP tools act through, for one caller (one API key): Grantkeeper's own /v1 API as
// that key (its scopes, integration limits and audit apply exactly as for any client) and
// the API proxy service. The HTTP route builds it per request; the tools never see a token.
import type { Scope } from '../domain/access.js';
import type { ProxyAnswer } from '../proxy/service.js';

export interface ApiAnswer {
  status: number;
  body: unknown;
}

export interface McpProxyCall {
  connectionId: string;
  method: string;
  pathAndQuery: string;
  headers: Record<string, string>;
  body: Buffer | null;
}

export interface McpBackend {
  /** The caller's scopes (implied ones included): which tools it gets. */
  scopes: ReadonlySet<Scope>;
  /** One call to the /v1 API as the caller. */
  api(method: 'GET' | 'POST', path: string, body?: unknown): Promise<ApiAnswer>;
  /** One call through the API proxy as the caller; Grantkeeper's refusals are thrown as DomainError. */
  proxy(call: McpProxyCall): Promise<ProxyAnswer>;
  /** The signed re-authentication link of a connection (as webhooks and 409 problems carry it). */
  reconnectUrl(connectionId: string): string | null;
}
