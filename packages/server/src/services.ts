// The long-lived parts of an instance besides HTTP: the refresh engine and the background
// workers. Started after the server listens; stopped first on shutdown.
import type { AppServices } from './api/app.js';
import type { AppContext } from './context.js';
import { RefreshEngine } from './refresh/engine.js';
import { afterSecretChange } from './refresh/integration-recovery.js';
import { RevocationWorker } from './refresh/revocation-worker.js';

export interface Services {
  engine: RefreshEngine;
  appServices: AppServices;
  start(): void;
  stop(): Promise<void>;
  onClose(fn: () => Promise<void> | void): void;
}

export function createServices(ctx: AppContext): Services {
  const closers: (() => Promise<void> | void)[] = [];
  const engine = new RefreshEngine(ctx);
  const revocations = new RevocationWorker(ctx, engine.fetch);
  return {
    engine,
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
    },
    start() {
      revocations.start();
    },
    async stop() {
      await revocations.stop();
      await engine.stop();
      for (const fn of closers.splice(0).reverse()) await fn();
    },
    onClose(fn) {
      closers.push(fn);
    },
  };
}
