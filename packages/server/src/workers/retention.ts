// Retention (DESIGN "Storage and secrets"): events, finished webhook deliveries, fanned-out
// outbox rows and ended spikes older than GRANTKEEPER_RETENTION_DAYS are deleted periodically,
// in batches of at most 500 rows, each its own short statement — so the embedded database,
// whose single connection every request shares, is never held for long.
import type { AppContext } from '../context.js';
import { pruneDeliveries, pruneEvents, pruneOutbox, pruneSpikes } from '../db/retention/prune.js';
import type { Executor } from '../db/types.js';

export interface RetentionSummary {
  events: number;
  deliveries: number;
  outbox: number;
  spikes: number;
}

type Pruner = (db: Executor, days: number, batch: number) => Promise<number>;

export class Retention {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private stopped = false;

  constructor(private readonly ctx: AppContext) {}

  start(): void {
    const loop = () => {
      if (this.stopped) return;
      this.running = this.prune()
        .catch((error: unknown) => this.ctx.log.warn({ err: error }, 'retention pass failed'))
        .finally(() => {
          this.running = null;
          if (!this.stopped) this.timer = setTimeout(loop, this.ctx.config.retention.intervalMs);
        });
    };
    this.timer = setTimeout(loop, this.ctx.config.retention.intervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** One full pass. Deliveries go before the outbox rows they belong to. */
  async prune(): Promise<RetentionSummary> {
    const summary: RetentionSummary = {
      events: await this.drain(pruneEvents),
      deliveries: await this.drain(pruneDeliveries),
      outbox: await this.drain(pruneOutbox),
      spikes: await this.drain(pruneSpikes),
    };
    if (summary.events + summary.deliveries + summary.outbox + summary.spikes > 0) this.ctx.log.info(summary, 'retention pruned old rows');
    return summary;
  }

  private async drain(prune: Pruner): Promise<number> {
    const { days, batchSize } = this.ctx.config.retention;
    const batch = Math.min(500, batchSize);
    let total = 0;
    while (!this.stopped) {
      const deleted = await prune(this.ctx.db.kysely, days, batch);
      total += deleted;
      if (deleted < batch) break;
      // Let queued requests through between batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
    return total;
  }
}
