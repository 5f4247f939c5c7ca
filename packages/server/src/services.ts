// The long-lived parts of an instance besides HTTP: the refresh engine and the background
// workers. Started after the server listens; stopped first on shutdown.
import type { AppServices } from './api/app.js';
import type { AppContext } from './context.js';
import { DomainError } from './errors.js';
import type { Refresher } from './refresh/token-service.js';

export interface Services {
  appServices: AppServices;
  start(): void;
  stop(): Promise<void>;
  onClose(fn: () => Promise<void> | void): void;
}

export function createServices(ctx: AppContext): Services {
  const closers: (() => Promise<void> | void)[] = [];
  const refresher: Refresher = {
    async refreshForCaller() {
      throw new DomainError('unavailable', 'provider_unavailable', 'Refreshing is not available yet.', [], {}, 1);
    },
  };
  void ctx;
  return {
    appServices: { refresher },
    start() {},
    async stop() {
      for (const fn of closers.splice(0).reverse()) await fn();
    },
    onClose(fn) {
      closers.push(fn);
    },
  };
}
