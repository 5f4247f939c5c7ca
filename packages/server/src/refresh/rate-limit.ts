// The per-integration rate limit shared by every instance (docs/design.md "The scheduler"): a token
// bucket row per integration in the database. The scheduler takes tokens in small batches
// (about a tenth of a second's worth) and waits for them; on-demand refreshes overdraw the
// bucket — the scheduler then yields to them — and never wait longer than the overdraft limit.
// A provider's 429 / rate_limit_exceeded halves the rate for a while.
import type { AppContext } from '../context.js';
import { ensureRateBucket, halveRate, overdrawRateToken, takeRateTokens, type TakeResult } from '../db/scheduler/rate-bucket.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Bucket size: a tenth of a second's worth, so no second sees more than ~1.1 × max_per_s. */
export function bucketCapacity(maxPerS: number): number {
  return Math.max(1, Math.ceil(maxPerS / 10));
}

export class RateLimiter {
  /** Tokens this instance took and has not spent yet, per integration. */
  private readonly stash = new Map<string, number>();
  /** One database take at a time per integration in this process (waiters share its result). */
  private readonly taking = new Map<string, Promise<void>>();
  private readonly known = new Set<string>();

  constructor(private readonly ctx: AppContext) {}

  /**
   * Waits for one token (scheduled work). Resolves false, without a token, when `cancelled`
   * turns true while waiting.
   */
  async acquire(integrationId: string, maxPerS: number, cancelled: () => boolean = () => false): Promise<boolean> {
    for (;;) {
      const left = this.stash.get(integrationId) ?? 0;
      if (left > 0) {
        this.stash.set(integrationId, left - 1);
        return true;
      }
      if (cancelled()) return false;
      let pending = this.taking.get(integrationId);
      if (!pending) {
        pending = this.refill(integrationId, maxPerS).finally(() => this.taking.delete(integrationId));
        this.taking.set(integrationId, pending);
      }
      await pending;
    }
  }

  /** One token for an on-demand refresh: overdraws, and waits at most the overdraft limit. */
  async overdraw(integrationId: string, maxPerS: number): Promise<void> {
    const capacity = bucketCapacity(maxPerS);
    const overdraftMs = this.ctx.config.scheduler.rateOverdraftMs;
    const result = await this.withBucket(integrationId, capacity, () =>
      overdrawRateToken(this.ctx.db.kysely, integrationId, maxPerS, capacity, Math.max(1, (maxPerS * overdraftMs) / 1000)),
    );
    if (!result || result.tokens >= 0) return;
    const waitMs = Math.min(overdraftMs, Math.ceil((-result.tokens / result.rate) * 1000));
    if (waitMs > 0) await sleep(waitMs);
  }

  /** The provider pushed back: halve this integration's rate everywhere for a while. */
  async rateLimited(integrationId: string): Promise<void> {
    this.stash.delete(integrationId);
    await halveRate(this.ctx.db.kysely, integrationId, this.ctx.config.scheduler.rateHalvingMs);
  }

  /** Takes a small batch from the shared bucket, or sleeps until one could be there. */
  private async refill(integrationId: string, maxPerS: number): Promise<void> {
    const capacity = bucketCapacity(maxPerS);
    const result = await this.withBucket(integrationId, capacity, () =>
      takeRateTokens(this.ctx.db.kysely, integrationId, capacity, maxPerS, capacity),
    );
    if (!result) {
      await sleep(50); // the integration is gone; the caller's next look will notice
      return;
    }
    if (result.granted > 0) {
      this.stash.set(integrationId, (this.stash.get(integrationId) ?? 0) + result.granted);
      return;
    }
    // Until one whole token has accrued (debts from on-demand overdrafts included).
    const waitMs = Math.ceil(((1 - result.tokens) / result.rate) * 1000);
    await sleep(Math.min(1000, Math.max(5, waitMs)));
  }

  private async withBucket(integrationId: string, capacity: number, take: () => Promise<TakeResult | undefined>): Promise<TakeResult | undefined> {
    if (!this.known.has(integrationId)) {
      await ensureRateBucket(this.ctx.db.kysely, integrationId, capacity).catch(() => {});
      this.known.add(integrationId);
    }
    const result = await take();
    if (result) return result;
    // Created meanwhile by nobody (deleted and re-created integration): try once more.
    await ensureRateBucket(this.ctx.db.kysely, integrationId, capacity).catch(() => {});
    return take();
  }
}
