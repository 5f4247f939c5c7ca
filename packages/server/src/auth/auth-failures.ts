// Every refused key goes through `recordAuthFailure`: the one place an authentication
// failure is counted against its client's wrong-key limit and recorded.
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
  // AUDIT(lead): auth failure — action `dashboard.login_failed` (via dashboard_login) or an
  // API-key failure (via api), actor null, ip = failure.client, with failure.reason.
  if (failure.reason === 'blocked') return ctx.auth.limit.retryAfterS(failure.client);
  return ctx.auth.limit.count(failure.client);
}
