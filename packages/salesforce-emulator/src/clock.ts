/**
 * The emulator's notion of "now". Every expiry (codes, sessions, refresh-token
 * policies, rate-limit windows) reads this clock, so tests move time forward
 * instead of sleeping. Real waits (latency, refresh hold) use timers, never this.
 */
export interface EmulatorClock {
  /** Current emulated time, epoch milliseconds. */
  now(): number;
  /** Move emulated time forward (negative values move it back). */
  advance(ms: number): number;
  /** Jump to an absolute epoch-ms time. A frozen clock stays there; a running one keeps ticking from it. */
  set(epochMs: number): number;
  /** Stop (true) or resume (false) the passage of real time. */
  freeze(frozen: boolean): void;
  readonly frozen: boolean;
  /** Back to real time, unfrozen, no offset. */
  reset(): void;
}

export interface ClockOptions {
  /** Start at this epoch-ms time instead of the real time. */
  startAt?: number;
  /** Frozen clocks move only when advanced or set (deterministic tests). */
  frozen?: boolean;
}

export function createClock(options: ClockOptions = {}): EmulatorClock {
  let offsetMs = options.startAt === undefined ? 0 : options.startAt - Date.now();
  let frozenAt: number | null = options.frozen ? Date.now() + offsetMs : null;

  const now = (): number => (frozenAt ?? Date.now() + offsetMs);

  return {
    now,
    advance(ms: number): number {
      if (!Number.isFinite(ms)) throw new TypeError('advance_ms must be a finite number');
      if (frozenAt !== null) frozenAt += ms;
      else offsetMs += ms;
      return now();
    },
    set(epochMs: number): number {
      if (!Number.isFinite(epochMs)) throw new TypeError('now must be a finite number');
      if (frozenAt !== null) frozenAt = epochMs;
      else offsetMs = epochMs - Date.now();
      return now();
    },
    freeze(frozen: boolean): void {
      if (frozen && frozenAt === null) frozenAt = now();
      if (!frozen && frozenAt !== null) {
        offsetMs = frozenAt - Date.now();
        frozenAt = null;
      }
    },
    get frozen(): boolean {
      return frozenAt !== null;
    },
    reset(): void {
      offsetMs = 0;
      frozenAt = null;
    },
  };
}
