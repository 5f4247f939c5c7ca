// Runs webhook delivery (webhooks/dispatcher.ts) on every instance: a pass at start, every
// GRANTKEEPER_WEBHOOK_POLL_INTERVAL_MS, and at once when an event is committed (LISTEN on the
// outbox channel; polling alone if LISTEN fails). On stop, deliveries in flight record their
// outcome before the instance goes.
import type { GuardedFetch } from '../outbound/guarded-fetch.js';
import type { AppContext } from '../context.js';
import { OUTBOX_CHANNEL } from '../db/webhooks/notify-outbox.js';
import { WebhookDispatcher } from '../webhooks/dispatcher.js';
import { instanceWorker } from './instance-worker.js';
import type { PeriodicWorker } from './periodic.js';

export class WebhookWorker {
  readonly dispatcher: WebhookDispatcher;
  readonly worker: PeriodicWorker<void>;
  private unlisten: (() => Promise<void>) | null = null;

  constructor(private readonly ctx: AppContext, fetch: GuardedFetch) {
    this.dispatcher = new WebhookDispatcher(ctx, fetch, () => this.worker.wake());
    this.worker = instanceWorker(ctx, {
      name: 'webhooks',
      intervalMs: ctx.config.webhooks.pollIntervalMs,
      initialDelayMs: 0,
      pass: (signal) => this.dispatcher.pass(signal),
    });
  }

  start(): void {
    this.ctx.db
      .listen(OUTBOX_CHANNEL, () => this.worker.wake())
      .then((unlisten) => {
        if (this.worker.stopped) void unlisten();
        else this.unlisten = unlisten;
      })
      .catch((error: unknown) => this.ctx.log.warn({ err: error }, 'webhook LISTEN failed; polling only'));
    this.worker.start();
  }

  async stop(): Promise<void> {
    const passEnded = this.worker.stop();
    await this.unlisten?.().catch(() => {});
    await passEnded;
    await this.dispatcher.drain();
  }
}
