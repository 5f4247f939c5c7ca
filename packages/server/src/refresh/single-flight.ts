// Single flight inside one process: callers asking for the same key while work for it is
// running share that work's promise instead of starting their own.
export class SingleFlight<T> {
  private readonly running = new Map<string, Promise<T>>();

  run(key: string, work: () => Promise<T>): Promise<T> {
    const existing = this.running.get(key);
    if (existing) return existing;
    const promise = work().finally(() => this.running.delete(key));
    this.running.set(key, promise);
    return promise;
  }

  has(key: string): boolean {
    return this.running.has(key);
  }

  get size(): number {
    return this.running.size;
  }

  /** Resolves once everything running now has finished (successfully or not). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.running.values()]);
  }
}
