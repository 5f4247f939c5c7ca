// The audit flusher: every GRANTKEEPER_AUDIT_FLUSH_MS, the counts of frequent actions
// (audit/counter.ts) become rows in one batched upsert. Sooner when many distinct rows are
// pending; once more after the HTTP server has drained on shutdown, so no counted read is
// lost to a clean stop. A failed pass keeps its counts for the next one.
import { flushAuditCounts } from '../audit/flush.js';
import type { AppContext } from '../context.js';
import { instanceWorker } from './instance-worker.js';
import type { PeriodicWorker } from './periodic.js';

export class AuditFlusher {
  /** Each pass resolves with the number of rows it wrote. */
  readonly worker: PeriodicWorker<number>;

  constructor(private readonly ctx: AppContext) {
    this.worker = instanceWorker(ctx, {
      name: 'audit',
      intervalMs: ctx.config.audit.flushMs,
      pass: () => flushAuditCounts(ctx.db.kysely, ctx.auditCounts),
    });
    ctx.auditCounts.onPressure = () => this.worker.wake();
  }

  start(): void {
    this.worker.start();
  }

  async stop(): Promise<void> {
    await this.worker.stop();
  }

  /** The last flush, after the worker stopped and the last request ended. Never throws. */
  async flushRemaining(): Promise<number> {
    try {
      return await flushAuditCounts(this.ctx.db.kysely, this.ctx.auditCounts);
    } catch (error) {
      this.ctx.log.error({ err: error, rows: this.ctx.auditCounts.size }, 'audit counts could not be written at shutdown');
      return 0;
    }
  }
}
