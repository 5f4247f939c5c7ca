// The long-lived parts of an instance besides HTTP: the refresh engine and the background
// workers, and the hooks the HTTP routes call into them with. Started after the server
// listens; stopped first on shutdown (workers stop taking work, then in-flight refreshes
// finish and store their outcome).
import type { AppContext } from './context.js';
import { createOutboundClients, type OutboundClients } from './outbound/clients.js';
import { AuthSyncWorker } from './workers/auth-sync.js';
import { AuditFlusher } from './workers/audit-flush.js';
import { Retention } from './workers/retention.js';
import { RefreshEngine } from './refresh/engine.js';
import { ApiProxy } from './proxy/service.js';
import type { AttemptResult } from './refresh/types.js';
import { afterSecretChange } from './refresh/integration-recovery.js';
import { RevocationWorker } from './workers/revocations.js';
import { RateLimiter } from './refresh/rate-limit.js';
import { Scheduler } from './workers/scheduler.js';
import { SpikeWorker } from './workers/spikes.js';
import type { WebhookDispatcher } from './webhooks/dispatcher.js';
import { WebhookWorker } from './workers/webhook-dispatch.js';

export interface Services {
  engine: RefreshEngine;
  /** The API proxy (`…/connections/{id}/proxy/…`), reusable by any route that forwards to a provider. */
  proxy: ApiProxy;
  outbound: OutboundClients;
  scheduler: Scheduler;
  spikes: SpikeWorker;
  retention: Retention;
  authSync: AuthSyncWorker;
  dispatcher: WebhookDispatcher;
  webhooks: WebhookWorker;
  audit: AuditFlusher;
  hooks: ServiceHooks;
  start(): void;
  stop(): Promise<void>;
  onClose(fn: () => Promise<void> | void): void;
}

/** What the HTTP routes ask of the engine and the workers besides calling them directly. */
interface ServiceHooks {
  /** An integration's client secret changed: clear its error and re-probe one connection. */
  onSecretChanged(integrationId: string): void;
  /** `POST /v1/connections?verify=true`: refresh the imported grant once, now. */
  verifyImported(connectionId: string): Promise<void>;
  /** Sends queued revocations now (a dead grant's token, before the user re-authorizes). */
  revokeQueued(): Promise<unknown>;
  /** A connect session's `verify`: refresh the grant the flow just stored, once, now. */
  verifyConnected(connectionId: string): Promise<AttemptResult>;
}

export function createServices(ctx: AppContext): Services {
  const closers: (() => Promise<void> | void)[] = [];
  const outbound = createOutboundClients(
    { allowPrivateNetwork: ctx.config.allowPrivateNetwork },
    ctx.config.outboundProxy,
    { providerMs: ctx.config.refresh.tokenTimeoutMs, webhookMs: ctx.config.webhooks.timeoutMs },
    // The message names the proxy by host:port only, never its credentials.
    { onProxyFailure: (error) => ctx.log.warn({ proxy: error.proxy, proxy_status: error.proxyStatus, detail: error.message }, 'outbound proxy failed') },
  );
  const engine = new RefreshEngine(ctx, outbound.providers);
  const limiter = new RateLimiter(ctx);
  const scheduler = new Scheduler(ctx, engine, limiter);
  const spikes = new SpikeWorker(ctx);
  engine.hooks = {
    beforeProviderCall: (integrationId, maxPerS) => limiter.overdraw(integrationId, maxPerS),
    onRateLimited: (integrationId) => {
      void limiter.rateLimited(integrationId).catch((error: unknown) => ctx.log.warn({ err: error }, 'halving the rate failed'));
    },
    onRefreshOutcome: (outcome) => spikes.noteOutcome(outcome),
  };
  const webhooks = new WebhookWorker(ctx, outbound.webhooks);
  const dispatcher = webhooks.dispatcher;
  const revocations = new RevocationWorker(ctx, outbound.providers);
  const retention = new Retention(ctx);
  const authSync = new AuthSyncWorker(ctx);
  const audit = new AuditFlusher(ctx);
  const workers = [scheduler, webhooks, revocations, retention, spikes, authSync, audit];
  return {
    engine,
    proxy: new ApiProxy(ctx, engine, outbound.providers),
    outbound,
    scheduler,
    spikes,
    retention,
    authSync,
    dispatcher,
    webhooks,
    audit,
    hooks: {
      onSecretChanged(integrationId) {
        void afterSecretChange(ctx, engine, integrationId).catch((error: unknown) => ctx.log.error({ err: error }, 'secret change follow-up failed'));
      },
      async verifyImported(connectionId) {
        await engine.refreshInBackground(connectionId, 'import');
      },
      revokeQueued: () => revocations.tick(),
      verifyConnected: (connectionId) => engine.refreshInBackground(connectionId, 'connect'),
    },
    start() {
      for (const worker of workers) worker.start();
    },
    async stop() {
      for (const worker of workers) await worker.stop();
      await engine.stop();
      for (const fn of closers.splice(0).reverse()) await fn();
      outbound.providers.close();
    },
    onClose(fn) {
      closers.push(fn);
    },
  };
}
