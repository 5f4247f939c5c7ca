// The scheduler (docs/design.md "The scheduler"): every instance, every interval, claims due
// connections with one short committed statement, then refreshes them with bounded
// concurrency under the per-integration rate limit every instance shares. Claims are taken
// a little ahead of the workers only, so a claimed row waits seconds, not its claim TTL.
// On shutdown it stops claiming, hands unstarted claims back and lets in-flight work finish.
import type { AppContext } from '../context.js';
import { findIntegrationById } from '../db/integrations/find-integration.js';
import { claimDueConnections, type ClaimedConnection } from '../db/scheduler/claim-due.js';
import { claimOf, deferClaimed, releaseClaims } from '../db/scheduler/release-claims.js';
import { giveBackLease as giveBackClaimLease } from '../refresh/lease.js';
import type { IntegrationRow } from '../db/types.js';
import type { RefreshEngine } from '../refresh/engine.js';
import type { RateLimiter } from '../refresh/rate-limit.js';
import { instanceWorker } from './instance-worker.js';
import type { PeriodicWorker } from './periodic.js';

interface Claimed extends ClaimedConnection {
  claimedAt: number;
}

export interface TickSummary {
  claimed: number;
  refreshed: number;
  skipped: number;
}

/** How long an integration row read by the scheduler is reused. */
const INTEGRATION_CACHE_MS = 1000;

export class Scheduler {
  /** The loop: counts its passes (tests assert "nothing claimed in N passes" on it). */
  readonly worker: PeriodicWorker<TickSummary>;
  private readonly integrations = new Map<string, { row: IntegrationRow | undefined; at: number }>();

  constructor(
    private readonly ctx: AppContext,
    private readonly engine: RefreshEngine,
    private readonly limiter: RateLimiter,
  ) {
    this.worker = instanceWorker(ctx, {
      name: 'scheduler',
      intervalMs: ctx.config.scheduler.intervalMs,
      initialDelayMs: Math.min(1000, ctx.config.scheduler.intervalMs),
      pass: (signal) => this.pass(signal),
    });
  }

  start(): void {
    this.worker.start();
  }

  /** Stop claiming; in-flight refreshes finish and store their outcome, unstarted claims go back. */
  async stop(): Promise<void> {
    await this.worker.stop();
  }

  /** One pass now (after the running one): claims and refreshes until nothing is due. */
  tick(): Promise<TickSummary> {
    return this.worker.runNow();
  }

  /** One pass: claims and refreshes until nothing is due (or the instance stops). */
  private async pass(signal: AbortSignal): Promise<TickSummary> {
    const { config } = this.ctx;
    const summary: TickSummary = { claimed: 0, refreshed: 0, skipped: 0 };
    const queue: Claimed[] = [];
    const claimSize = Math.min(config.scheduler.batchSize, config.scheduler.concurrency * 2);
    let exhausted = false;
    let claiming: Promise<void> | null = null;
    const claimMore = async () => {
      const lease = { ttlMs: config.refresh.leaseTtlMs, graceS: config.refresh.intentGraceS };
      const rows = await claimDueConnections(this.ctx.db.kysely, config.instanceId, claimSize, config.scheduler.claimTtlS, lease);
      if (rows.length < claimSize) exhausted = true;
      const now = Date.now();
      for (const row of rows) queue.push({ ...row, claimedAt: now });
      summary.claimed += rows.length;
    };
    const startClaim = () =>
      (claiming ??= claimMore().finally(() => {
        claiming = null;
      }));
    const worker = async () => {
      for (;;) {
        if (signal.aborted) return;
        const item = queue.shift();
        // Claim the next batch while the workers still have work, not once they ran dry.
        if (item && !exhausted && queue.length < config.scheduler.concurrency) startClaim().catch(() => {});
        if (!item) {
          if (exhausted) return;
          try {
            await startClaim();
          } catch (error) {
            // The database is unreachable: finish what is claimed, try again next tick.
            if (!exhausted) this.ctx.log.warn({ err: { message: (error as Error).message } }, 'scheduler claim failed');
            exhausted = true;
          }
          continue;
        }
        if (await this.refreshOne(item, signal)) summary.refreshed++;
        else summary.skipped++;
      }
    };
    try {
      await Promise.all(Array.from({ length: config.scheduler.concurrency }, worker));
    } finally {
      // A claim taken ahead may still be running: its rows are handed back too.
      await (claiming as Promise<void> | null)?.catch(() => {});
      // Stopped with claims not yet started: hand them back to the other instances now.
      if (queue.length > 0) {
        await releaseClaims(this.ctx.db.kysely, config.instanceId, queue.splice(0).map(claimOf)).catch(() => {});
      }
    }
    return summary;
  }

  /** One claimed connection: rate token, then one attempt (`reprobe` for dead grants). */
  private async refreshOne(item: Claimed, signal: AbortSignal): Promise<boolean> {
    const { ctx } = this;
    const { config } = ctx;
    // Held so long that the claim has lapsed: another instance may have it now; leave it.
    if (Date.now() - item.claimedAt > config.scheduler.claimTtlS * 1000 * 0.8) {
      if (item.lease_free) await giveBackClaimLease(ctx, item.id);
      return false;
    }
    const integration = await this.integration(item.integration_id);
    if (!integration) return false;
    if (integration.status === 'error') {
      // The provider rejects the integration itself: nothing to do until it is fixed
      // (a secret change re-probes it); look again after the longest backoff.
      await deferClaimed(ctx.db.kysely, config.instanceId, claimOf(item), Math.ceil(config.refresh.backoffMaxMs / 1000));
      return false;
    }
    const gotToken = await this.limiter.acquire(integration.id, integration.refresh.max_per_s, () => signal.aborted);
    if (!gotToken) {
      await releaseClaims(ctx.db.kysely, config.instanceId, [claimOf(item)]).catch(() => {});
      return false;
    }
    const trigger = item.status === 'needs_reauth' ? 'reprobe' : 'scheduled';
    try {
      // The claim took the lease and read the row: refresh on it while the lease is young
      // (most of its TTL left for the call); an older one is handed back and taken afresh.
      if (item.lease_free && Date.now() - item.claimedAt < config.refresh.leaseTtlMs / 3) {
        await this.engine.refreshClaimed(item, integration, trigger);
      } else {
        if (item.lease_free) await giveBackClaimLease(ctx, item.id);
        await this.engine.refreshInBackground(item.id, trigger);
      }
      return true;
    } catch (error) {
      // Deleted meanwhile, or the database hiccuped: the claim TTL brings it back if it still exists.
      ctx.log.warn({ err: { message: (error as Error).message } }, 'scheduled refresh failed');
      return false;
    }
  }

  private async integration(id: string): Promise<IntegrationRow | undefined> {
    const cached = this.integrations.get(id);
    if (cached && Date.now() - cached.at < INTEGRATION_CACHE_MS) return cached.row;
    const row = await findIntegrationById(this.ctx.db.kysely, id);
    this.integrations.set(id, { row, at: Date.now() });
    return row;
  }
}
