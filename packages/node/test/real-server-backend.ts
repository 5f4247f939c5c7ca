// The SDK tests' `Backend` made of the real parts: an in-process Grantkeeper server (on an
// in-memory PGlite, migrated at start) and the Salesforce emulator over real HTTP. Every
// state is reached the way production reaches it — provider answers, not canned replies:
//   expired session   → the emulator forgets the access token (removeSessions)
//   refused sessions  → the emulator's REST endpoint answers that 401 (a REST fault, cleared
//                       when the next connection is created)
//   new grant         → an operator refresh on the server (generation + 1)
//   reauth_required   → the approval is revoked at the emulator, then a refresh finds out
//   integration_error → the connection's own OAuth app gets a new client secret
//   provider_unavailable → the connection's integration points at a closed port
//   refresh_in_progress  → another instance holds the connection's refresh lease
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { startSalesforceEmulator, type SalesforceEmulator } from '@grantkeeper/salesforce-emulator';
import { loadConfig } from '../../server/src/config.js';
import { Keyring } from '../../server/src/crypto/keyring.js';
import { acquireLease } from '../../server/src/db/refresh/acquire-lease.js';
import { createLogger } from '../../server/src/log.js';
import { fromPublicId } from '../../server/src/model/ids.js';
import { startServer, type RunningServer } from '../../server/src/server.js';
import type { Backend } from './backend.js';

export interface RealBackend extends Backend {
  emu: SalesforceEmulator;
  server: RunningServer;
  /** The management API with the backend's key. */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** The emulator credentials behind a connection (the test's view of "the provider"). */
  grantOf(connectionId: string): { clientId: string; integration: string; refreshToken: string; username: string };
}

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export async function startRealBackend(env: Record<string, string> = {}): Promise<RealBackend> {
  const emu = await startSalesforceEmulator({ port: 0 });
  const secretKey = `gk_sk_node_${randomBytes(16).toString('hex')}`;
  const config = loadConfig({
    GRANTKEEPER_PORT: '0',
    GRANTKEEPER_SECRET_KEY: secretKey,
    GRANTKEEPER_ENCRYPTION_KEYS: Keyring.format([Keyring.generateKey('node1')]),
    GRANTKEEPER_ALLOW_PRIVATE_NETWORK: 'true',
    GRANTKEEPER_SCHEDULER_INTERVAL_MS: '3600000',
    GRANTKEEPER_CONFIRM_RETRY_MS: '10',
    // How long a caller waits for another instance's refresh: short (the refresh_in_progress state
    // waits it out), but not so short that a slow shared machine turns a normal refresh into a 503.
    GRANTKEEPER_WAIT_MS: '3000',
    GRANTKEEPER_LOG_LEVEL: 'silent',
    ...env,
  });
  const server = await startServer({ config, pglite: new PGlite(), logger: createLogger('silent') });

  const api: RealBackend['api'] = async (method, path, body) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${secretKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };

  const integrations = new Map<string, { clientId: string; clientSecret: string }>();
  let counter = 0;
  const ensureIntegration = async (key: string) => {
    const known = integrations.get(key);
    if (known) return known;
    const app = { clientId: `3MVG9node${++counter}${randomBytes(4).toString('hex')}`, clientSecret: `node-secret-${randomBytes(8).toString('hex')}` };
    emu.createApp({ ...app, callbackUrls: [`${server.url}/oauth/callback`] });
    const res = await api('POST', '/v1/integrations', { key, provider: 'salesforce', client_id: app.clientId, client_secret: app.clientSecret, auth_base_url: emu.url });
    if (res.status !== 201) throw new Error(`integration ${key}: ${res.status} ${JSON.stringify(res.body)}`);
    integrations.set(key, app);
    return app;
  };
  await ensureIntegration('salesforce-prod'); // the connect-session tests name it

  const grants = new Map<string, { clientId: string; integration: string; refreshToken: string; username: string }>();
  const grantOf = (id: string) => {
    const grant = grants.get(id);
    if (!grant) throw new Error(`unknown connection ${id}`);
    return grant;
  };
  const currentAccessToken = async (id: string) => {
    const res = await api('GET', `/v1/connections/${id}/token`);
    if (res.status !== 200) throw new Error(`token of ${id}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.access_token as string;
  };

  return {
    name: 'real server + Salesforce emulator',
    baseUrl: server.url,
    secretKey,
    restPath: '/services/data/v60.0/limits',
    emu,
    server,
    api,
    grantOf,
    async createConnection(init = {}) {
      // Problem states change the connection's integration (its secret, its URL), so a
      // connection without a named integration gets one of its own.
      emu.clearFaults();
      const integration = init.integration ?? `own-${++counter}`;
      const app = await ensureIntegration(integration);
      const username = `sdk${++counter}-${randomBytes(3).toString('hex')}@example.com`;
      emu.createUser({ username, ...(init.orgId ? { orgId: init.orgId } : {}) });
      const tokens = emu.issueTokens({ clientId: app.clientId, username });
      const res = await api('POST', '/v1/connections', {
        integration,
        end_user: { id: init.endUserId ?? username },
        credentials: { refresh_token: String(tokens.refresh_token), instance_url: String(tokens.instance_url), id_url: String(tokens.id) },
      });
      if (res.status !== 201) throw new Error(`import: ${res.status} ${JSON.stringify(res.body)}`);
      grants.set(res.body.id, { clientId: app.clientId, integration, refreshToken: String(tokens.refresh_token), username });
      return res.body.id as string;
    },
    async expireSession(id) {
      emu.removeSessions({ accessToken: await currentAccessToken(id) });
    },
    async refuseAllSessions(_id, message) {
      emu.setFault({ endpoint: 'rest', status: 401, body: [{ message, errorCode: 'INVALID_SESSION_ID' }] });
    },
    async replaceGrant(id) {
      const res = await api('POST', `/v1/connections/${id}/refresh`);
      if (res.status !== 200) throw new Error(`refresh ${id}: ${res.status}`);
    },
    problemStates: {
      async reauth_required(id) {
        emu.revokeApproval(grantOf(id).refreshToken);
        const res = await api('POST', `/v1/connections/${id}/refresh`);
        if (res.status !== 409) throw new Error(`expected needs_reauth, got ${res.status} ${JSON.stringify(res.body)}`);
      },
      async integration_error(id) {
        const grant = grantOf(id);
        emu.updateApp(grant.clientId, { clientSecret: `rotated-${randomBytes(8).toString('hex')}` });
        const res = await api('POST', `/v1/connections/${id}/refresh`);
        if (res.status !== 409) throw new Error(`expected integration_error, got ${res.status} ${JSON.stringify(res.body)}`);
      },
      async provider_unavailable(id) {
        const res = await api('PATCH', `/v1/integrations/${grantOf(id).integration}`, { auth_base_url: `http://127.0.0.1:${await closedPort()}` });
        if (res.status !== 200) throw new Error(`patch: ${res.status} ${JSON.stringify(res.body)}`);
      },
      async refresh_in_progress(id) {
        const rowId = fromPublicId('connection', id)!;
        const held = await acquireLease(server.ctx.db.kysely, rowId, 'another-instance', 60_000, 300);
        if (!held) throw new Error('the lease was not free');
      },
    },
    restRequests: () => {
      throw new Error('the real backend counts REST calls through the recording fetch (harness) and emu.stats()');
    },
    async close() {
      await server.close();
      await emu.close();
    },
  };
}
