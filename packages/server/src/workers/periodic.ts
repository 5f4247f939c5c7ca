// The one background loop every worker runs on (scheduler, revocations, retention, spikes,
// webhook dispatch): a pass after an initial delay, then one every interval (counted from
// the end of the previous pass), or sooner when woken. Passes never overlap: a wake during a
// pass runs one more right after it, however many wakes came. stop() stops scheduling and
// waits for the running pass (SIGTERM drains). Passes are counted, so tests assert "nothing
// happened in N passes" instead of sleeping.

export interface PeriodicOptions<R> {
  /** Names the worker in logs and metrics. */
  name: string;
  /** From the end of one pass to the start of the next. */
  intervalMs: number;
  /** From start() to the first pass (default: intervalMs; 0: the first pass starts in start()). */
  initialDelayMs?: number;
  /** One pass. `signal` is aborted by stop(): a long pass checks it to end early. */
  pass: (signal: AbortSignal) => Promise<R>;
  /** Where a failed pass is reported; the worker carries on at the next interval. */
  log: { warn(fields: object, message: string): void };
  /** Told after every pass (a metrics counter). */
  onPassEnd?: (outcome: 'ok' | 'failed') => void;
}

/** What runNow() and afterPasses() reject with once the worker is stopped. */
export class WorkerStoppedError extends Error {
  constructor(worker: string) {
    super(`the ${worker} worker is stopped`);
    this.name = 'WorkerStoppedError';
  }
}

interface Waiter<T> {
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

export class PeriodicWorker<R = unknown> {
  readonly name: string;
  private state: 'new' | 'started' | 'stopped' = 'new';
  private readonly stopping = new AbortController();
  private running: Promise<void> | null = null;
  /** A pass is wanted right after the running one. */
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private soon: { timer: NodeJS.Timeout; at: number } | null = null;
  private followUp: NodeJS.Immediate | null = null;
  /** runNow() callers waiting for the next pass to start and end. */
  private waiting: Waiter<R>[] = [];
  private watchers: (Waiter<void> & { target: number })[] = [];
  private started = 0;
  private ended = 0;
  private failed = 0;

  constructor(private readonly options: PeriodicOptions<R>) {
    this.name = options.name;
  }

  /** Passes that have ended (successfully or not). */
  get passes(): number {
    return this.ended;
  }

  /** Passes that threw. */
  get failures(): number {
    return this.failed;
  }

  /** A pass is running, or one is due without waiting for the interval. */
  get busy(): boolean {
    return this.running !== null || this.followUp !== null || this.soon !== null;
  }

  get stopped(): boolean {
    return this.state === 'stopped';
  }

  start(): void {
    if (this.state !== 'new') return;
    this.state = 'started';
    const delay = this.options.initialDelayMs ?? this.options.intervalMs;
    // 0 means during start(): the first pass's statements queue ahead of whatever comes next.
    if (delay === 0) this.runPass();
    else this.schedule(delay);
  }

  /** A pass now, or right after the running one (many wakes, one pass). Ignored unless started. */
  wake(): void {
    if (this.state !== 'started') return;
    this.runPass();
  }

  /** A pass within `ms` (coalesced with any sooner one). Ignored unless started. */
  wakeIn(ms: number): void {
    if (this.state !== 'started') return;
    const at = Date.now() + ms;
    if (this.soon && this.soon.at <= at) return;
    if (this.soon) clearTimeout(this.soon.timer);
    this.soon = {
      at,
      timer: setTimeout(() => {
        this.soon = null;
        this.runPass();
      }, ms),
    };
  }

  /**
   * Runs a pass that starts after this call (after the running one, if any; concurrent
   * callers share it) and resolves with its result. Works before start(); rejects once stopped.
   */
  runNow(): Promise<R> {
    if (this.state === 'stopped') return Promise.reject(new WorkerStoppedError(this.name));
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.runPass();
    });
  }

  /** Resolves once `count` passes that start after this call have ended. */
  afterPasses(count = 1): Promise<void> {
    if (this.state === 'stopped') return Promise.reject(new WorkerStoppedError(this.name));
    return new Promise<void>((resolve, reject) => {
      this.watchers.push({ target: this.started + count, resolve, reject });
    });
  }

  /** Stops scheduling and waits for the running pass; later wakes do nothing. */
  async stop(): Promise<void> {
    if (this.state !== 'stopped') {
      this.state = 'stopped';
      this.stopping.abort();
      this.clearTimers();
      for (const waiter of this.waiting.splice(0)) waiter.reject(new WorkerStoppedError(this.name));
    }
    await this.running;
    for (const watcher of this.watchers.splice(0)) watcher.reject(new WorkerStoppedError(this.name));
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.runPass();
    }, ms);
  }

  private clearTimers(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.soon) clearTimeout(this.soon.timer);
    if (this.followUp) clearImmediate(this.followUp);
    this.timer = null;
    this.soon = null;
    this.followUp = null;
  }

  private runPass(): void {
    if (this.state === 'stopped') return;
    if (this.running) {
      this.again = true;
      return;
    }
    // This pass answers every wake so far; the interval counts from its end.
    this.clearTimers();
    this.again = false;
    const waiting = this.waiting.splice(0);
    this.started++;
    this.running = this.execute(waiting);
  }

  private async execute(waiting: Waiter<R>[]): Promise<void> {
    let settle: () => void;
    try {
      // Through a promise, so even a pass that throws at once ends after `running` is set.
      const result = await Promise.resolve(this.stopping.signal).then((signal) => this.options.pass(signal));
      this.options.onPassEnd?.('ok');
      settle = () => {
        for (const waiter of waiting) waiter.resolve(result);
      };
    } catch (error) {
      this.failed++;
      this.options.onPassEnd?.('failed');
      this.options.log.warn({ err: error, worker: this.name }, `${this.name} pass failed`);
      settle = () => {
        for (const waiter of waiting) waiter.reject(error);
      };
    }
    this.ended++;
    this.running = null;
    // What comes next is decided before anyone waiting hears of this pass's end.
    if (this.state !== 'stopped') {
      if (this.again || this.waiting.length > 0) {
        // Right after, but let queued I/O through first.
        this.followUp = setImmediate(() => {
          this.followUp = null;
          this.runPass();
        });
      } else if (this.state === 'started') {
        this.schedule(this.options.intervalMs);
      }
    }
    settle();
    const due = this.watchers.filter((w) => w.target <= this.ended);
    this.watchers = this.watchers.filter((w) => w.target > this.ended);
    for (const watcher of due) watcher.resolve();
  }
}
