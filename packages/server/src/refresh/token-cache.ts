// The token fast path's cache of decrypted access tokens, keyed by (connection id,
// generation). Bounded (least recently used out first); an entry is dropped at
// expiry − margin, when a write bumps the generation (locally, or on another instance
// through NOTIFY), and re-validated against the database at least every `ttlMs` — the
// safety net that bounds staleness to about a second even if a notification is lost.
export interface CachedToken {
  connectionId: string;
  generation: number;
  accessToken: string;
  expiresAt: Date;
  instanceUrl: string | null;
  /** The integration's defaults, so a cache hit needs no other lookup. */
  marginS: number;
  accessTokenTtlS: number;
  /** When the entry was last confirmed against the database (ms since epoch). */
  checkedAt: number;
}

export class TokenCache {
  private readonly entries = new Map<string, CachedToken>();

  constructor(private readonly maxEntries: number, private readonly ttlMs: number) {}

  /** A token valid for at least `minValidMs`, still confirmed recently; undefined otherwise. */
  get(connectionId: string, minValidMs: number, now = Date.now()): CachedToken | undefined {
    const entry = this.entries.get(connectionId);
    if (!entry) return undefined;
    if (now - entry.checkedAt > this.ttlMs || entry.expiresAt.getTime() - now < minValidMs) return undefined;
    // Refresh recency for LRU eviction: Map keeps insertion order.
    this.entries.delete(connectionId);
    this.entries.set(connectionId, entry);
    return entry;
  }

  set(entry: CachedToken): void {
    if (this.maxEntries === 0) return;
    const current = this.entries.get(entry.connectionId);
    if (current && current.generation > entry.generation) return; // never go back to an older grant
    this.entries.delete(entry.connectionId);
    this.entries.set(entry.connectionId, entry);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  /**
   * Drops the entry unless it already holds a newer generation than the change announced
   * (a status change announces the current generation, and drops it too).
   */
  invalidate(connectionId: string, generation?: number): void {
    const entry = this.entries.get(connectionId);
    if (!entry) return;
    if (generation === undefined || entry.generation <= generation) this.entries.delete(connectionId);
  }

  /** The database confirmed this generation is still current: keep serving it. */
  confirm(connectionId: string, generation: number, now = Date.now()): CachedToken | undefined {
    const entry = this.entries.get(connectionId);
    if (!entry || entry.generation !== generation) return undefined;
    entry.checkedAt = now;
    return entry;
  }

  /** The entry regardless of freshness (for re-validation without decrypting again). */
  peek(connectionId: string): CachedToken | undefined {
    return this.entries.get(connectionId);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
