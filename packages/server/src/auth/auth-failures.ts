// Every refused key goes through `recordAuthFailure`: the one place an authentication
// failure is counted against its client's wrong-key limit and recorded in the audit log.
// The audit counts them per client and minute (like token reads), so a flood of guesses —
// which goes on being refused with 429 — cannot flood the log with rows.
import type { AppContext } from '../context.js';

export interface AuthFailure {
  /** The client address as the limit counts it (`clientAddress`). */
  client: string;
  /** `/v1` with a Bearer key, or the dashboard's login form. */
  via: 'api' | 'dashboard_login';
  /** `blocked`: the client was already over the limit, whatever key it sent (not counted again). */
  reason: 'unknown_key' | 'expired_key' | 'blocked';
  /** The public id of an expired key; never the key presented. */
  keyId?: string;
}

/** Records one failure; returns the seconds to wait when the client is over the limit (answer 429), else null (401). */
export async function recordAuthFailure(ctx: AppContext, failure: AuthFailure): Promise<number | null> {
  // Nobody known: the key presented is never recorded.
  const viaApi = failure.via === 'api';
  ctx.auditCounts.count({ actor: { type: viaApi ? 'api_key' : 'dashboard', id: null, name: null }, ip: failure.client }, viaApi ? 'api_key.auth_failed' : 'dashboard.login_failed', null);
  if (failure.reason === 'blocked') return ctx.auth.limit.retryAfterS(failure.client);
  return ctx.auth.limit.count(failure.client);
}
