// The vocabulary of one refresh attempt, shared by the engine and its parts.
import type { ConnectionRow, IntegrationRow } from '../db/types.js';
import type { TokenOutcome } from '../oauth/refresh-grant.js';
import type { CachedToken } from './token-cache.js';

/** `connect`: the connect flow verifies the grant it just obtained; `import`: an import with ?verify=true. */
export type RefreshTrigger = 'on_demand' | 'scheduled' | 'forced' | 'reprobe' | 'import' | 'connect';

export interface AttemptOptions {
  trigger: RefreshTrigger;
  /** Refresh even if the stored token is valid (skipped if the grant changed after `arrivedAt`). */
  force: boolean;
  arrivedAt: Date;
  /** Give up waiting for another holder's lease at this time (ms since epoch). */
  deadline: number;
  minValidS: number | null;
}

/** How an attempt ended, as data: the token path turns it into a response or a problem. */
export type AttemptResult =
  | { kind: 'token'; token: CachedToken; refreshedAt: Date | null; warning?: 'refresh_failed' }
  | { kind: 'reauth_required'; row: ConnectionRow; integration: IntegrationRow }
  | { kind: 'integration_error'; row: ConnectionRow; integration: IntegrationRow }
  | { kind: 'unavailable'; retryAfterS: number; reason: string }
  | { kind: 'in_progress' };

/** One call to the token endpoint: its outcome and the intent event written before it. */
export interface ProviderCall {
  outcome: TokenOutcome;
  eventId: string;
  durationMs: number;
  /** The trigger recorded on the event (`retry` for the confirming call). */
  trigger: string;
}

/** How the engine tells the rest of the instance what happened (wired in services.ts). */
export interface EngineHooks {
  /** A provider answered 429 / rate_limit_exceeded (the scheduler halves the rate). */
  onRateLimited?(integrationId: string): void;
  /** After every provider call (the spike detector counts operations). */
  onRefreshOutcome?(event: { integrationId: string; connectionId: string; orgId: string | null; permanent: boolean }): void;
  /**
   * Awaited before an on-demand provider call (the shared rate limit: it may overdraw, and
   * waits at most GRANTKEEPER_RATE_OVERDRAFT_MS). Scheduled work took its token before claiming.
   */
  beforeProviderCall?(integrationId: string, maxPerS: number): Promise<void>;
}
