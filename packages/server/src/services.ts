// The long-lived parts of an instance besides HTTP: the refresh engine and the background
// workers. Started after the server listens; stopped first on shutdown (workers stop taking
// work, then in-flight refreshes finish and store their outcome).
import type { AppServices } from './api/app.js';
import { connectPublicRoutes, connectSessionRoutes } from './api/routes/connect.js';
import { providerRoutes } from './api/routes/providers.js';
import { spikeRoutes } from './api/routes/spikes.js';
import { statsRoutes } from './api/routes/stats.js';
import { webhookRoutes } from './api/routes/webhooks.js';
import type { AppContext } from './context.js';
import { Retention } from './workers/retention.js';
import { RefreshEngine } from './refresh/engine.js';
import { afterSecretChange } from './refresh/integration-recovery.js';
import { RevocationWorker } from './workers/revocations.js';
import { RateLimiter } from './refresh/rate-limit.js';
import { Scheduler } from './workers/scheduler.js';
import { SpikeDetector } from './diagnosis/spikes.js';
import { uiRoutes } from './ui/routes.js';
import { WebhookDispatcher } from './webhooks/dispatcher.js';

export interface Services {
  engine: RefreshEngine;
  scheduler: Scheduler;
  spikes: SpikeDetector;
  retention: Retention;
  dispatcher: WebhookDispatcher;
  appServices: AppServices;
  start(): void;
  stop(): Promise<void>;
  onClose(fn: () => Promise<void> | void): void;
}

export function createServices(ctx: AppContext): Services {
  const closers: (() => Promise<void> | void)[] = [];
  const engine = new RefreshEngine(ctx);
  const limiter = new RateLimiter(ctx);
  const scheduler = new Scheduler(ctx, engine, limiter);
  const spikes = new SpikeDetector(ctx);
  engine.beforeProviderCall = (integrationId, maxPerS) => limiter.overdraw(integrationId, maxPerS);
  engine.onRateLimited = (integrationId) => {
    void limiter.rateLimited(integrationId).catch((error: unknown) => ctx.log.warn({ err: error }, 'halving the rate failed'));
  };
  engine.onRefreshOutcome = (outcome) => spikes.noteOutcome(outcome);
  const dispatcher = new WebhookDispatcher(ctx);
  const revocations = new RevocationWorker(ctx, engine.fetch);
  const retention = new Retention(ctx);
  const workers = [scheduler, dispatcher, revocations, retention, spikes];
  return {
    engine,
    scheduler,
    spikes,
    retention,
    dispatcher,
    appServices: {
      refresher: engine,
      integrationHooks: {
        onSecretChanged(integrationId) {
          void afterSecretChange(ctx, engine, integrationId).catch((error: unknown) => ctx.log.error({ err: error }, 'secret change follow-up failed'));
        },
      },
      connectionHooks: {
        async verifyImported(connectionId) {
          await engine.refreshInBackground(connectionId, 'import');
        },
      },
      plugins: {
        public: [connectPublicRoutes(ctx, { engine, revokeQueued: () => revocations.tick() }), uiRoutes(ctx)],
        authenticated: [connectSessionRoutes(ctx, { engine }), webhookRoutes(ctx, { dispatcher }), providerRoutes(ctx), statsRoutes(ctx), spikeRoutes(ctx)],
      },
    },
    start() {
      for (const worker of workers) worker.start();
    },
    async stop() {
      for (const worker of workers) await worker.stop();
      await engine.stop();
      for (const fn of closers.splice(0).reverse()) await fn();
    },
    onClose(fn) {
      closers.push(fn);
    },
  };
}
