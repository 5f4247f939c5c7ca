// API keys, dashboard sessions and the wrong-key limit (docs/api-keys.md, "Settings").
import type { EnvReader } from './env-reader.js';

export interface AuthConfig {
  /** Wrong keys one client address may present per window before every key it sends is refused with 429. */
  loginMaxFailures: number;
  loginWindowS: number;
  /**
   * How often each instance writes the `last_used_at` marks it collected and re-reads keys,
   * session revocations and blocked clients from the database — the safety net behind
   * LISTEN/NOTIFY, which normally carries every change at once.
   */
  syncIntervalMs: number;
  /** `last_used_at` is written at most once per this many seconds per key. */
  lastUsedResolutionS: number;
}

export function readAuthConfig(r: EnvReader): AuthConfig {
  return {
    loginMaxFailures: r.int('LOGIN_MAX_FAILURES', 10, { min: 1, max: 1_000_000 }),
    loginWindowS: r.int('LOGIN_WINDOW_S', 600, { min: 1, max: 30 * 86_400 }),
    syncIntervalMs: r.int('AUTH_SYNC_INTERVAL_MS', 30_000, { min: 1 }),
    lastUsedResolutionS: r.int('API_KEY_LAST_USED_RESOLUTION_S', 60, { min: 1 }),
  };
}
