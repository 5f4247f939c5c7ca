// A cluster for fault injection: N Grantkeeper processes on one fresh PostgreSQL database,
// one Salesforce emulator, one integration, many imported grants, and a storm of refreshes.
import { readFileSync } from 'node:fs';
import { startSalesforceEmulator, type SalesforceEmulator, type AppInput } from '@grantkeeper/salesforce-emulator';
import { createPostgresDatabase } from '../test/helpers/databases.js';
import { spawnServer, type ServerProcess } from '../test/helpers/processes.js';
import { testEncryptionKeys } from '../test/helpers/server.js';

export const KEY = 'gk_sk_faults_test_key_000000001';

export class Cluster {
  servers: ServerProcess[] = [];
  readonly retired: ServerProcess[] = [];
  connections: { id: string; refreshToken: string }[] = [];
  private counter = 0;

  private constructor(
    readonly emu: SalesforceEmulator,
    readonly env: Record<string, string>,
    readonly clientId: string,
    readonly integration: string,
    private readonly dropDb: () => Promise<void>,
  ) {}

  static async start(instances: number, env: Record<string, string>, app: AppInput = {}): Promise<Cluster> {
    const db = await createPostgresDatabase();
    const emu = await startSalesforceEmulator({ port: 0 });
    const clientId = `3MVG9faults${Date.now()}`;
    emu.createApp({ clientId, clientSecret: 'faults-secret', callbackUrls: ['http://localhost/cb'], ...app });
    const cluster = new Cluster(
      emu,
      {
        GRANTKEEPER_DATABASE_URL: db.url,
        GRANTKEEPER_SECRET_KEY: KEY,
        GRANTKEEPER_ENCRYPTION_KEYS: testEncryptionKeys(),
        GRANTKEEPER_ALLOW_PRIVATE_NETWORK: 'true',
        GRANTKEEPER_SCHEDULER_INTERVAL_MS: '3600000',
        GRANTKEEPER_CONFIRM_RETRY_MS: '10',
        GRANTKEEPER_LEASE_POLL_MS: '25',
        GRANTKEEPER_LOG_LEVEL: 'debug',
        ...env,
      },
      clientId,
      'sf-faults',
      db.drop,
    );
    for (let i = 0; i < instances; i++) await cluster.add();
    const created = await cluster.call(cluster.servers[0]!, 'POST', '/v1/integrations', {
      key: cluster.integration, provider: 'salesforce', client_id: clientId, client_secret: 'faults-secret', auth_base_url: emu.url,
    });
    if (created.status !== 201) throw new Error(`integration: ${created.status}`);
    return cluster;
  }

  async add(): Promise<ServerProcess> {
    const server = await spawnServer({ ...this.env, GRANTKEEPER_INSTANCE_ID: `fault-${this.counter}` }, `faults-${this.counter++}`);
    this.servers.push(server);
    return server;
  }

  async kill(server: ServerProcess): Promise<void> {
    this.servers = this.servers.filter((s) => s !== server);
    this.retired.push(server);
    await server.kill('SIGKILL');
  }

  random(): ServerProcess {
    return this.servers[Math.floor(Math.random() * this.servers.length)]!;
  }

  async call(server: ServerProcess, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    try {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${KEY}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(60_000),
      });
      return { status: res.status, body: await res.json().catch(() => null) };
    } catch {
      return { status: 0, body: null }; // the instance died under us
    }
  }

  async importGrants(count: number): Promise<void> {
    const users = Array.from({ length: Math.ceil(count / 4) }, (_, i) => {
      const username = `storm${i}@example.com`;
      this.emu.createUser({ username });
      return username;
    });
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const i = next++;
        const tokens = this.emu.issueTokens({ clientId: this.clientId, username: users[i % users.length]! });
        const res = await this.call(this.servers[i % this.servers.length]!, 'POST', '/v1/connections', {
          integration: this.integration,
          end_user: { id: `storm-${i}` },
          credentials: { refresh_token: String(tokens.refresh_token), id_url: String(tokens.id) },
        });
        if (res.status !== 201) throw new Error(`import ${i}: ${res.status} ${JSON.stringify(res.body)}`);
        this.connections.push({ id: res.body.id, refreshToken: String(tokens.refresh_token) });
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
  }

  /** Forced refreshes on random connections through random live instances until `until()` says stop. */
  async storm(workers: number, until: () => boolean): Promise<Map<number, number>> {
    const statuses = new Map<number, number>();
    const worker = async () => {
      while (!until()) {
        const c = this.connections[Math.floor(Math.random() * this.connections.length)]!;
        const res = await this.call(this.random(), 'GET', `/v1/connections/${c.id}/token?force=true&wait_ms=30000`);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: workers }, worker));
    return statuses;
  }

  /** From a killed instance's debug log: refreshes it sent or had answered but never stored. */
  static unstored(server: ServerProcess): { inFlight: number; answered: number } {
    const sent = new Set<string>();
    const answered = new Set<string>();
    const stored = new Set<string>();
    for (const line of readFileSync(server.logFile, 'utf8').split('\n')) {
      if (!line.startsWith('{')) continue;
      const entry = JSON.parse(line) as { msg?: string; event?: string };
      if (!entry.event) continue;
      if (entry.msg === 'refresh sent') sent.add(entry.event);
      else if (entry.msg === 'refresh answered') answered.add(entry.event);
      else if (entry.msg === 'refresh stored') stored.add(entry.event);
    }
    const answeredNotStored = [...answered].filter((e) => !stored.has(e)).length;
    const inFlight = [...sent].filter((e) => !answered.has(e) && !stored.has(e)).length;
    return { inFlight, answered: answeredNotStored };
  }

  async stop(): Promise<void> {
    await Promise.all([...this.servers, ...this.retired].map((s) => s.kill('SIGKILL')));
    await this.emu.close();
    await this.dropDb();
  }
}
