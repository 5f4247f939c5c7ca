// When to try a failed delivery again: exponential backoff with jitter, for a window of
// about a day from the delivery's creation, then give up.

export interface RetrySettings {
  retryBaseMs: number;
  retryMaxMs: number;
  retryWindowMs: number;
}

/**
 * Milliseconds until the next attempt after `attempts` failed ones, or null when the
 * window is over. The last attempt lands at the window's end rather than past it.
 */
export function nextRetryDelayMs(settings: RetrySettings, attempts: number, createdAt: Date, now = Date.now(), random = Math.random): number | null {
  const deadline = createdAt.getTime() + settings.retryWindowMs;
  if (now >= deadline) return null;
  const exponential = Math.min(settings.retryMaxMs, settings.retryBaseMs * 2 ** Math.min(Math.max(attempts - 1, 0), 30));
  // Half fixed, half random: spreads a burst of failures without ever retrying at once.
  const delay = Math.floor(exponential / 2 + random() * (exponential / 2));
  return Math.max(1, Math.min(delay, deadline - now));
}
