// A local Nango-shaped API over real HTTP, for the importer's tests. Built from Nango's
// published API reference as `@nangohq/node` / `@nangohq/types` 0.71.10 describe it:
// `GET /connections?limit&page` → `{ connections: [ApiPublicConnection] }` (pages from 0),
// `GET /connections/{connectionId}?provider_config_key&refresh_token` → ApiPublicConnectionFull
// (the refresh token only when asked), `GET /integrations/{uniqueKey}?include=credentials` →
// `{ data: ApiPublicIntegration }` (the client id, never the secret, as Nango shows it to an
// API key), errors as `{ error: { code, message } }`, Bearer secret key.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeNangoConnection {
  connection_id: string;
  provider_config_key: string;
  provider: string;
  end_user: { id: string; email: string | null } | null;
  metadata: Record<string, unknown> | null;
  connection_config: Record<string, unknown>;
  credentials: Record<string, unknown>;
}

export interface FakeNango {
  url: string;
  secretKey: string;
  connections: FakeNangoConnection[];
  integrations: Map<string, { provider: string; client_id: string }>;
  /** Full reads (`GET /connections/{id}`) served so far. */
  reads: number;
  /** Called after each full read (a test interrupts the importer from here). */
  onRead: ((reads: number) => void) | null;
  close(): Promise<void>;
}

export async function startFakeNango(secretKey: string): Promise<FakeNango> {
  const state: FakeNango = {
    url: '',
    secretKey,
    connections: [],
    integrations: new Map(),
    reads: 0,
    onRead: null,
    close: async () => {},
  };
  const send = (res: import('node:http').ServerResponse, status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://nango.local');
    if (req.headers.authorization !== `Bearer ${secretKey}`) return send(res, 401, { error: { code: 'unknown_account', message: 'Authentication failed' } });
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (req.method === 'GET' && parts.length === 1 && parts[0] === 'connections') {
      const limit = Math.min(Number(url.searchParams.get('limit') ?? 100), 1000);
      const page = Number(url.searchParams.get('page') ?? 0);
      const slice = state.connections.slice(page * limit, page * limit + limit);
      return send(res, 200, {
        connections: slice.map((c, i) => ({
          id: page * limit + i + 1,
          connection_id: c.connection_id,
          provider_config_key: c.provider_config_key,
          provider: c.provider,
          created: new Date(0).toISOString(),
          metadata: c.metadata,
          errors: [],
          end_user: c.end_user ? { ...c.end_user, display_name: null, tags: null, organization: null } : null,
          tags: {},
        })),
      });
    }
    if (req.method === 'GET' && parts.length === 2 && parts[0] === 'connections') {
      const key = url.searchParams.get('provider_config_key');
      const c = state.connections.find((x) => x.connection_id === parts[1] && x.provider_config_key === key);
      if (!c) return send(res, 404, { error: { code: 'not_found', message: 'Connection not found' } });
      const withRefresh = url.searchParams.get('refresh_token') === 'true';
      const { refresh_token: refreshToken, ...rest } = c.credentials;
      state.reads++;
      send(res, 200, {
        id: 1,
        connection_id: c.connection_id,
        provider_config_key: c.provider_config_key,
        provider: c.provider,
        created_at: new Date(0).toISOString(),
        updated_at: new Date(0).toISOString(),
        last_fetched_at: null,
        metadata: c.metadata,
        connection_config: c.connection_config,
        errors: [],
        end_user: c.end_user,
        tags: {},
        credentials: withRefresh && refreshToken !== undefined ? { ...rest, refresh_token: refreshToken } : rest,
      });
      state.onRead?.(state.reads);
      return;
    }
    if (req.method === 'GET' && parts.length === 2 && parts[0] === 'integrations') {
      const integration = state.integrations.get(parts[1]!);
      if (!integration) return send(res, 404, { error: { code: 'not_found', message: 'Integration not found' } });
      const withCredentials = (url.searchParams.get('include') ?? '').split(',').includes('credentials');
      return send(res, 200, {
        data: {
          unique_key: parts[1],
          provider: integration.provider,
          display_name: integration.provider,
          logo: '',
          forward_webhooks: false,
          created_at: new Date(0).toISOString(),
          updated_at: new Date(0).toISOString(),
          ...(withCredentials ? { credentials: { type: 'OAUTH2', client_id: integration.client_id, client_secret: null, scopes: null, webhook_secret: null } } : {}),
        },
      });
    }
    send(res, 404, { error: { code: 'not_found', message: `${req.method} ${url.pathname}` } });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
  return state;
}
