// When a connection is next due, as DESIGN.md's scheduler defines it.

/** After a success: keepalive (jittered only earlier, by at most a tenth), or before expiry when kept warm. */
export function nextRefreshAfterSuccess(input: {
  now: number;
  keepaliveS: number;
  keepWarm: boolean;
  expiresAt: Date;
  marginS: number;
  random?: () => number;
}): Date {
  const random = input.random ?? Math.random;
  const keepaliveMs = input.keepaliveS * 1000;
  let next = input.now + keepaliveMs - Math.floor(random() * keepaliveMs * 0.1);
  if (input.keepWarm) next = Math.min(next, input.expiresAt.getTime() - input.marginS * 1000);
  return new Date(Math.max(next, input.now + 1000));
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
