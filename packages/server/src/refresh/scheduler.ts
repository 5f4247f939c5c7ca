// The scheduler (issue #6): claims due connections and refreshes them under the shared rate limit.
import type { AppContext } from '../context.js';
import type { RefreshEngine } from './engine.js';

export class Scheduler {
  constructor(private readonly ctx: AppContext, private readonly engine: RefreshEngine) {}
  start(): void {
    void this.ctx;
    void this.engine;
  }
  async stop(): Promise<void> {}
}
