// What an attempt can answer from the stored row, without calling the provider: a token
// that is still good enough, the dead grant's problem, or the backoff. Read before the
// lease is taken and again under it (another holder may have refreshed meanwhile).
import type { AppContext } from '../context.js';
import type { ConnectionRow, IntegrationRow } from '../db/types.js';
import { storedToken } from './stored-token.js';
import type { AttemptOptions, AttemptResult } from './types.js';

/** null: the provider must be asked. */
export function answerFromRow(ctx: AppContext, row: ConnectionRow, integration: IntegrationRow, options: AttemptOptions): AttemptResult | null {
  // An operator's "try now" and the scheduler's re-probe call even a dead grant once.
  const explicit = options.trigger === 'forced' || options.trigger === 'reprobe';
  if (integration.status === 'error' && !explicit) return { kind: 'integration_error', row, integration };
  if (row.status === 'needs_reauth' && !explicit) return { kind: 'reauth_required', row, integration };
  const settings = integration.refresh;
  const token = storedToken(ctx, row, settings);
  const now = Date.now();
  if (options.force) {
    // A forced refresh is skipped when the grant was refreshed after the request arrived.
    if (token && row.last_refreshed_at && row.last_refreshed_at >= options.arrivedAt) {
      return { kind: 'token', token, refreshedAt: row.last_refreshed_at };
    }
  } else if (token && token.expiresAt.getTime() - now >= (options.minValidS ?? settings.margin_s) * 1000) {
    return { kind: 'token', token, refreshedAt: row.last_refreshed_at };
  }
  const backoffUntil = row.backoff_until?.getTime() ?? 0;
  if (backoffUntil > now && (options.trigger === 'on_demand' || options.trigger === 'scheduled')) {
    if (token && !options.force && token.expiresAt.getTime() > now) {
      return { kind: 'token', token, refreshedAt: row.last_refreshed_at, warning: 'refresh_failed' };
    }
    return { kind: 'unavailable', retryAfterS: (backoffUntil - now) / 1000, reason: 'backing_off' };
  }
  return null;
}
