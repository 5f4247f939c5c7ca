// Runs the spike detector (diagnosis/spikes.ts) every GRANTKEEPER_SPIKE_CHECK_INTERVAL_MS,
// and soon after a permanent failure: the failures that make a spike come in a burst, and
// the dead grants they re-explain should not wait for the next interval.
import type { AppContext } from '../context.js';
import { SpikeDetector, type SpikeCheckSummary } from '../diagnosis/spikes.js';
import { instanceWorker } from './instance-worker.js';
import type { PeriodicWorker } from './periodic.js';

/** How soon after a permanent failure the window is looked at again. */
const LOOK_SOON_MS = 100;

export class SpikeWorker {
  readonly worker: PeriodicWorker<SpikeCheckSummary>;
  private readonly detector: SpikeDetector;

  constructor(ctx: AppContext) {
    this.detector = new SpikeDetector(ctx);
    this.worker = instanceWorker(ctx, {
      name: 'spikes',
      intervalMs: ctx.config.spikes.checkIntervalMs,
      pass: () => this.detector.check(),
    });
  }

  start(): void {
    this.worker.start();
  }

  async stop(): Promise<void> {
    await this.worker.stop();
  }

  /** Told after every refresh attempt (engine.onRefreshOutcome): a permanent failure looks soon. */
  noteOutcome(outcome: { permanent: boolean }): void {
    if (outcome.permanent) this.worker.wakeIn(LOOK_SOON_MS);
  }

  /** One pass that starts now (or right after the running one, which may predate what the caller wrote). */
  check(): Promise<SpikeCheckSummary> {
    return this.worker.runNow();
  }
}
