// Every GRANTKEEPER_AUTH_SYNC_INTERVAL_MS: writes the `last_used_at` marks the requests
// queued (never on a request's path), and re-reads keys, logouts and blocked clients in
// case a notification was lost (auth/auth-state.ts).
import type { AppContext } from '../context.js';
import { instanceWorker } from './instance-worker.js';
import type { PeriodicWorker } from './periodic.js';

export class AuthSyncWorker {
  readonly worker: PeriodicWorker<{ usesWritten: number }>;

  constructor(private readonly ctx: AppContext) {
    this.worker = instanceWorker(ctx, {
      name: 'auth-sync',
      intervalMs: ctx.config.auth.syncIntervalMs,
      pass: () => ctx.auth.sync(),
    });
  }

  start(): void {
    this.worker.start();
  }

  /** Stops the loop, then writes the marks queued since its last pass. */
  async stop(): Promise<void> {
    await this.worker.stop();
    await this.ctx.auth.writeUses().catch((error: unknown) => this.ctx.log.warn({ err: error }, 'writing API key last_used_at failed'));
  }

  /** One pass now (or right after the running one). */
  sync(): Promise<{ usesWritten: number }> {
    return this.worker.runNow();
  }
}
