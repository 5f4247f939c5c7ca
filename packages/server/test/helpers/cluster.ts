// Several Grantkeeper processes (the compiled bin) on one fresh PostgreSQL database, with one
// Salesforce emulator and one integration: for multi-instance, crash and fault tests.
// Instances can be added, killed (SIGKILL by default) and replaced at will.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startSalesforceEmulator, type AppInput, type SalesforceEmulator } from '@grantkeeper/salesforce-emulator';
import { createPostgresDatabase } from './databases.js';
import { spawnServer, type ServerProcess } from './processes.js';
import { testEncryptionKeys } from './server.js';

export interface ClusterOptions {
  /** Environment of every instance, over the cluster's own. */
  env?: Record<string, string>;
  /** The emulator app's settings (rotation, refresh-token policy…). */
  app?: AppInput;
  /** Names the integration, the instance ids and the log files. */
  name?: string;
}

export interface ClusterParts {
  name: string;
  emu: SalesforceEmulator;
  /** The environment every instance starts with (database, API key, keys, durations). */
  env: Record<string, string>;
  clientId: string;
  integration: string;
  database: { url: string; drop(): Promise<void> };
}

export class ServerCluster {
  servers: ServerProcess[] = [];
  /** Instances killed or stopped, kept for their logs. */
  readonly retired: ServerProcess[] = [];
  readonly name: string;
  readonly emu: SalesforceEmulator;
  readonly env: Record<string, string>;
  readonly clientId: string;
  readonly integration: string;
  private readonly database: ClusterParts['database'];
  private spawned = 0;

  constructor(parts: ClusterParts) {
    this.name = parts.name;
    this.emu = parts.emu;
    this.env = parts.env;
    this.clientId = parts.clientId;
    this.integration = parts.integration;
    this.database = parts.database;
  }

  /** `instances` processes, started together, and the integration created through the first. */
  static async start<C extends ServerCluster>(this: new (parts: ClusterParts) => C, instances: number, options: ClusterOptions = {}): Promise<C> {
    const name = options.name ?? 'cluster';
    const database = await createPostgresDatabase();
    const emu = await startSalesforceEmulator({ port: 0 });
    const clientId = `3MVG9${name.replace(/[^A-Za-z0-9]/g, '')}${randomBytes(6).toString('hex')}`;
    const clientSecret = `${name}-secret-${randomBytes(6).toString('hex')}`;
    emu.createApp({ clientId, clientSecret, callbackUrls: ['http://localhost/cb'], ...options.app });
    const cluster = new this({
      name,
      emu,
      env: {
        GRANTKEEPER_DATABASE_URL: database.url,
        GRANTKEEPER_SECRET_KEY: `gk_sk_test_${randomBytes(16).toString('hex')}`,
        GRANTKEEPER_ENCRYPTION_KEYS: testEncryptionKeys(),
        GRANTKEEPER_ALLOW_PRIVATE_NETWORK: 'true',
        GRANTKEEPER_SCHEDULER_INTERVAL_MS: '3600000',
        GRANTKEEPER_CONFIRM_RETRY_MS: '10',
        GRANTKEEPER_LEASE_POLL_MS: '25',
        ...options.env,
      },
      clientId,
      integration: `sf-${name}`,
      database,
    });
    try {
      // Settled, not Promise.all: an instance still starting when another failed is stopped too.
      const spawned = await Promise.allSettled(Array.from({ length: instances }, () => cluster.spawn()));
      cluster.servers = spawned.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
      const failed = spawned.find((s) => s.status === 'rejected');
      if (failed) throw failed.reason;
      const created = await cluster.call(cluster.servers[0]!, 'POST', '/v1/integrations', {
        key: cluster.integration, provider: 'salesforce', client_id: clientId, client_secret: clientSecret, auth_base_url: emu.url,
      });
      if (created.status !== 201) throw new Error(`integration: ${created.status} ${JSON.stringify(created.body)}`);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** One more instance on the same database. */
  async add(): Promise<ServerProcess> {
    const server = await this.spawn();
    this.servers.push(server);
    return server;
  }

  /** Signals an instance (SIGKILL unless told) and resolves with its exit code; it is retired at once. */
  kill(server: ServerProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    this.servers = this.servers.filter((s) => s !== server);
    this.retired.push(server);
    return server.kill(signal);
  }

  random(): ServerProcess {
    return this.servers[Math.floor(Math.random() * this.servers.length)]!;
  }

  /** The API of one instance; status 0 when the instance died under the request. */
  async call(server: ServerProcess, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    try {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.env.GRANTKEEPER_SECRET_KEY}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(60_000),
      });
      return { status: res.status, body: await res.json().catch(() => null) };
    } catch {
      return { status: 0, body: null };
    }
  }

  /** Imports a fresh grant of `username` (created at the emulator if new), refresh token only. */
  async importGrant(username: string, options: { endUserId?: string; via?: ServerProcess } = {}): Promise<{ id: string; refreshToken: string }> {
    if (!this.emu.getUser(username)) this.emu.createUser({ username });
    const tokens = this.emu.issueTokens({ clientId: this.clientId, username });
    const res = await this.call(options.via ?? this.servers[0]!, 'POST', '/v1/connections', {
      integration: this.integration,
      end_user: { id: options.endUserId ?? username },
      credentials: { refresh_token: String(tokens.refresh_token), id_url: String(tokens.id) },
    });
    if (res.status !== 201) throw new Error(`import ${username}: ${res.status} ${JSON.stringify(res.body)}`);
    return { id: res.body.id as string, refreshToken: String(tokens.refresh_token) };
  }

  /** Reads the shared database directly (rows and database timestamps, never through an instance). */
  async query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    const client = new pg.Client({ connectionString: this.database.url });
    await client.connect();
    try {
      return (await client.query<R>(text, values)).rows;
    } finally {
      await client.end();
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.servers, ...this.retired].map((s) => s.kill('SIGKILL')));
    await this.emu.close();
    await this.database.drop();
  }

  private spawn(): Promise<ServerProcess> {
    const n = this.spawned++;
    return spawnServer({ ...this.env, GRANTKEEPER_INSTANCE_ID: `${this.name}-${n}` }, `${this.name}-${n}`);
  }
}
