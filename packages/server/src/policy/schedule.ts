// When a connection is next due, as docs/design.md "The scheduler" defines it. Pure.
import type { RefreshSettings } from '../domain/grants.js';

/** After a success: keepalive (jittered only earlier, by at most a tenth), or before expiry when kept warm. */
export function nextRefreshAfterSuccess(
  settings: Pick<RefreshSettings, 'keepalive_s' | 'keep_warm' | 'margin_s'>,
  expiresAt: Date,
  now = Date.now(),
  random: () => number = Math.random,
): Date {
  const keepaliveMs = settings.keepalive_s * 1000;
  let next = now + keepaliveMs - Math.floor(random() * keepaliveMs * 0.1);
  if (settings.keep_warm) next = Math.min(next, expiresAt.getTime() - settings.margin_s * 1000);
  return new Date(Math.max(next, now + 1000));
}

/** Exponential backoff with full jitter: uniform in [0, min(max, base · 2^(n−1))], at least 1 s. */
export function backoffDelayMs(consecutiveFailures: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(30, consecutiveFailures - 1)));
  return Math.max(Math.min(1000, ceiling), Math.floor(random() * ceiling));
}

/** Re-probes of admin-fixable dead grants: 1 h doubling to 24 h (configurable). */
export function reprobeDelayMs(attempts: number, baseS: number, maxS: number): number {
  return Math.min(maxS, baseS * 2 ** Math.max(0, Math.min(30, attempts))) * 1000;
}
