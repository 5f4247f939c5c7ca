// A Grantkeeper server wired to a Salesforce emulator over real HTTP, with helpers to
// create an integration and import grants the emulator issued.
import { startSalesforceEmulator, type SalesforceEmulator, type AppInput } from '@grantkeeper/salesforce-emulator';
import type { BackendKind } from './databases.js';
import { startTestServer, type TestServer } from './server.js';

export interface SalesforceRig {
  emu: SalesforceEmulator;
  server: TestServer;
  clientId: string;
  clientSecret: string;
  integrationKey: string;
  /** A new Salesforce user; returns its username. */
  user(name?: string, orgId?: string): { username: string; userId: string; orgId: string };
  /** Imports a fresh grant for a user (refresh token only, so the first token call refreshes). */
  importGrant(username: string, endUserId?: string, options?: { withIssuedAt?: boolean }): Promise<{ id: string; refreshToken: string; body: any }>;
  outbox(type?: string): Promise<{ type: string; payload: any; connection_id: string | null }[]>;
  /** GET /v1/connections/{id}: the connection as the API shows it. */
  connection(id: string): Promise<any>;
  /** GET /v1/connections/{id}/events: its history, newest first. */
  events(id: string, limit?: number): Promise<any[]>;
  stop(): Promise<void>;
}

let counter = 0;

export async function startSalesforceRig(
  backend: BackendKind,
  options: { env?: Record<string, string>; app?: AppInput; integration?: Record<string, unknown>; logName?: string } = {},
): Promise<SalesforceRig> {
  const emu = await startSalesforceEmulator({ port: 0 });
  const server = await startTestServer(
    backend,
    { GRANTKEEPER_CONFIRM_RETRY_MS: '10', GRANTKEEPER_BACKOFF_BASE_MS: '50', GRANTKEEPER_BACKOFF_MAX_MS: '100', ...options.env },
    { logName: options.logName ?? 'salesforce' },
  );
  const clientId = `3MVG9rig${++counter}${Date.now()}`;
  const clientSecret = `rig-secret-${counter}-${Math.random().toString(36).slice(2)}`;
  emu.createApp({ clientId, clientSecret, callbackUrls: [`${server.url}/oauth/callback`], ...options.app });
  const integrationKey = `sf-${counter}`;
  const created = await server.api('POST', '/v1/integrations', {
    key: integrationKey,
    provider: 'salesforce',
    client_id: clientId,
    client_secret: clientSecret,
    auth_base_url: emu.url,
    ...options.integration,
  });
  if (created.status !== 201) throw new Error(`integration: ${created.status} ${JSON.stringify(created.body)}`);
  let users = 0;
  return {
    emu,
    server,
    clientId,
    clientSecret,
    integrationKey,
    user(name, orgId) {
      const username = name ?? `user${++users}-${counter}@example.com`;
      const view = emu.createUser({ username, ...(orgId ? { orgId } : {}) });
      return { username, userId: view.user_id, orgId: view.org_id };
    },
    async importGrant(username, endUserId, importOptions = {}) {
      const tokens = emu.issueTokens({ clientId, username });
      const refreshToken = String(tokens.refresh_token);
      const res = await server.api('POST', '/v1/connections', {
        integration: integrationKey,
        end_user: { id: endUserId ?? username },
        credentials: {
          refresh_token: refreshToken,
          id_url: String(tokens.id),
          instance_url: String(tokens.instance_url),
          ...(importOptions.withIssuedAt ? { issued_at: String(tokens.issued_at) } : {}),
        },
      });
      if (res.status !== 201) throw new Error(`import: ${res.status} ${JSON.stringify(res.body)}`);
      return { id: res.body.id as string, refreshToken, body: res.body };
    },
    async outbox(type) {
      let query = server.ctx.db.kysely.selectFrom('outbox').select(['type', 'payload', 'connection_id']).orderBy('created_at');
      if (type) query = query.where('type', '=', type);
      return (await query.execute()) as { type: string; payload: any; connection_id: string | null }[];
    },
    async connection(id) {
      return (await server.api('GET', `/v1/connections/${id}`)).body;
    },
    async events(id, limit = 100) {
      return (await server.api('GET', `/v1/connections/${id}/events?limit=${limit}`)).body.data;
    },
    async stop() {
      await server.stop();
      await emu.close();
    },
  };
}
