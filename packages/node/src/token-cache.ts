// In-process token cache with per-key single-flight. It saves a round trip to Grantkeeper
// on the hot path; Grantkeeper stays the authority (it refreshes, and its own cache holds
// the same token), so a lost entry costs one request, never correctness.
import type { Token } from './types.js';

interface Entry {
  token: Token | null;
  /** Highest generation seen for this connection, from any answer (token, connection, webhook). */
  generation: number;
}

export class TokenCache {
  readonly #entries = new Map<string, Entry>();
  readonly #inflight = new Map<string, Promise<Token>>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  /** A cached token with at least `minValidS` seconds left, if there is one. */
  get(connectionId: string, minValidS: number, now: number = Date.now()): Token | undefined {
    const entry = this.#entries.get(connectionId);
    const token = entry?.token;
    if (!token) return undefined;
    if (token.expiresAt.getTime() - minValidS * 1000 <= now) return undefined;
    return token;
  }

  /** Stores a token unless a newer generation is already known (a late answer from a race). */
  set(connectionId: string, token: Token): void {
    const entry = this.#entries.get(connectionId);
    if (entry && entry.generation > token.generation) return;
    this.#entries.delete(connectionId); // re-insert: Map order doubles as "least recently written"
    this.#entries.set(connectionId, { token, generation: token.generation });
    this.#evict();
  }

  /**
   * Records that the grant is at `generation` (seen on a connection object or a webhook);
   * a cached token of an older generation belongs to a replaced grant and is dropped.
   */
  noteGeneration(connectionId: string, generation: number): void {
    const entry = this.#entries.get(connectionId);
    // Only connections we hold a token for: listing 10k connections must not fill the cache.
    if (!entry) return;
    if (generation > entry.generation) {
      entry.token = null;
      entry.generation = generation;
    }
  }

  delete(connectionId: string): void {
    this.#entries.delete(connectionId);
  }

  clear(): void {
    this.#entries.clear();
  }

  /** Runs `load` once for concurrent callers with the same key; they all share its outcome. */
  singleFlight(key: string, load: () => Promise<Token>): Promise<Token> {
    const running = this.#inflight.get(key);
    if (running) return running;
    const promise = load().finally(() => this.#inflight.delete(key));
    this.#inflight.set(key, promise);
    return promise;
  }

  get size(): number {
    return this.#entries.size;
  }

  #evict(): void {
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) return;
      this.#entries.delete(oldest);
    }
  }
}
