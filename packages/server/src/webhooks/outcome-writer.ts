// Writes attempt outcomes in batches: while one write runs, the answers that arrive queue
// up and go in the next single statement. At low load each outcome is written at once; under
// load one commit carries many (deliveries are bound by database round trips, not CPU).
import type { Executor } from '../db/types.js';
import { recordAttempts, type AttemptRecord } from '../db/webhooks/deliveries.js';

interface Waiting {
  record: AttemptRecord;
  resolve: () => void;
  reject: (error: unknown) => void;
}

const MAX_BATCH = 200;

export class OutcomeWriter {
  private queue: Waiting[] = [];
  private writing = false;

  constructor(private readonly db: Executor) {}

  /** Resolves once the outcome is committed. */
  write(record: AttemptRecord): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ record, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        try {
          await recordAttempts(this.db, batch.map((w) => w.record));
          for (const w of batch) w.resolve();
        } catch (error) {
          for (const w of batch) w.reject(error);
        }
      }
    } finally {
      this.writing = false;
    }
  }
}
