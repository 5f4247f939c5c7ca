// A cluster for fault injection (test/helpers/cluster.ts) with what the fault suites add:
// many imported grants, a storm of forced refreshes, and reading a killed instance's log.
import { readFileSync } from 'node:fs';
import type { ServerProcess } from '../test/helpers/processes.js';
import { ServerCluster, type ClusterOptions } from '../test/helpers/cluster.js';

export class Cluster extends ServerCluster {
  connections: { id: string; refreshToken: string }[] = [];

  async importGrants(count: number): Promise<void> {
    // Four grants per user: users are shared, and stay under the emulator's five-per-user limit.
    const users = Array.from({ length: Math.ceil(count / 4) }, (_, i) => `storm${i}@example.com`);
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const i = next++;
        this.connections.push(
          await this.importGrant(users[i % users.length]!, { endUserId: `storm-${i}`, via: this.servers[i % this.servers.length]! }),
        );
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
  }

  /** Forced refreshes on random connections through random live instances until `done()` says stop. */
  async storm(workers: number, done: () => boolean): Promise<Map<number, number>> {
    const statuses = new Map<number, number>();
    const worker = async () => {
      while (!done()) {
        const c = this.connections[Math.floor(Math.random() * this.connections.length)]!;
        const res = await this.call(this.random(), 'GET', `/v1/connections/${c.id}/token?force=true&wait_ms=30000`);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: workers }, worker));
    return statuses;
  }

  /**
   * Connections whose lease another instance could not take yet (the acquire rule of
   * db/refresh/acquire-lease.ts, in database time): a live lease, or a dead holder's lease
   * with an unresolved intent still inside its grace.
   */
  async leasesNotYetFree(): Promise<number> {
    const graceS = Number(this.env.GRANTKEEPER_INTENT_GRACE_S ?? 60);
    const [row] = await this.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM connections
        WHERE lease_expires_at IS NOT NULL
          AND NOT (refresh_intent_id IS NULL AND lease_expires_at < now())
          AND NOT (lease_expires_at < now() - $1 * interval '1 second')`,
      [graceS],
    );
    return row!.n;
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
}

/** A fault cluster logs at debug: `Cluster.unstored` reads the refresh steps from the logs. */
export function startFaultCluster(instances: number, options: ClusterOptions = {}): Promise<Cluster> {
  return Cluster.start(instances, { name: 'faults', ...options, env: { GRANTKEEPER_LOG_LEVEL: 'debug', ...options.env } });
}
