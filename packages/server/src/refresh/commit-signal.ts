// How a caller waiting for another holder's refresh learns that it ended: the commit (or
// the failure write, or a lease given back) NOTIFYs every instance, and the waiter wakes
// at once instead of re-reading the row on a timer. The waiter arms BEFORE it reads the
// row, so a commit landing between its read and its wait is not missed; a slow re-check
// (`GRANTKEEPER_LEASE_POLL_MS`) stays as the safety net for a notification lost while the
// LISTEN connection was down.
export interface ArmedWait {
  /** Resolves on the connection's next signal, or after `ms`. */
  wait(ms: number): Promise<void>;
  cancel(): void;
}

export class CommitSignal {
  private readonly waiting = new Map<string, Set<() => void>>();

  arm(connectionId: string): ArmedWait {
    let wake!: () => void;
    const signalled = new Promise<void>((resolve) => (wake = resolve));
    let set = this.waiting.get(connectionId);
    if (!set) this.waiting.set(connectionId, (set = new Set()));
    set.add(wake);
    const cancel = () => {
      const current = this.waiting.get(connectionId);
      current?.delete(wake);
      if (current?.size === 0) this.waiting.delete(connectionId);
    };
    return {
      async wait(ms) {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([signalled, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
        } finally {
          clearTimeout(timer);
          cancel();
        }
      },
      cancel,
    };
  }

  /** A connection's refresh ended somewhere (its NOTIFY arrived): every armed waiter wakes. */
  signal(connectionId: string): void {
    const set = this.waiting.get(connectionId);
    if (!set) return;
    this.waiting.delete(connectionId);
    for (const wake of set) wake();
  }

  /** Connections with a waiter (tests and metrics). */
  get size(): number {
    return this.waiting.size;
  }
}
