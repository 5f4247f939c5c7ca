// Webhook delivery from the outbox (issue #6).
import type { AppContext } from '../context.js';

export class WebhookDispatcher {
  constructor(private readonly ctx: AppContext) {}
  start(): void {
    void this.ctx;
  }
  async stop(): Promise<void> {}
}
