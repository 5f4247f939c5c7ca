// A successful token response, read by the provider's module, with what deserves an alert:
// clock skew beyond the threshold, a signature that does not verify, a body only our own
// minimum checks accept. None of these drops the response — it may carry the only copy of a
// rotated refresh token.
import type { AppContext } from '../context.js';
import type { ConnectionRow, IntegrationRow } from '../db/types.js';
import { toPublicId } from '../model/ids.js';
import type { TokenSuccess } from '../oauth/refresh-grant.js';
import type { GrantUpdate } from '../providers/module-types.js';

export interface ReceivedGrant {
  update: GrantUpdate;
  /** What the event records besides the outcome (skew, signature mismatch, non-conformance). */
  detail: Record<string, unknown>;
}

export function readReceivedGrant(
  ctx: AppContext,
  row: Pick<ConnectionRow, 'id' | 'authorized_at'>,
  integration: IntegrationRow,
  success: TokenSuccess,
  clientSecret: string | null,
): ReceivedGrant {
  const { metrics, log } = ctx;
  const update = ctx.providers.interpretTokenResponse(integration.provider, success.body, {
    receivedAt: success.receivedAt,
    accessTokenTtlS: integration.refresh.access_token_ttl_s,
    clientSecret,
    authorizedAt: row.authorized_at,
    refreshTokenAbsoluteTtlS: ctx.providers.describe(integration.provider)?.refreshTokenAbsoluteTtlS ?? null,
  });
  const detail: Record<string, unknown> = {};
  if (update.clockSkewS !== null) {
    metrics.clockSkew.set({ integration: integration.key }, update.clockSkewS);
    if (Math.abs(update.clockSkewS) > ctx.config.refresh.clockSkewAlertS) {
      detail.clock_skew_s = Math.round(update.clockSkewS);
      log.warn({ integration: integration.key, skew_s: update.clockSkewS }, 'provider clock skew above the alert threshold');
    }
  }
  if (update.signature === 'mismatch') {
    detail.signature_mismatch = true;
    metrics.signatureMismatches.inc({ integration: integration.key });
    metrics.alerts.inc({ kind: 'signature_mismatch' });
    log.warn({ integration: integration.key, connection: toPublicId('connection', row.id) }, 'token response signature mismatch (stored anyway)');
  }
  if (success.nonConformant) {
    detail.non_conformant = success.nonConformant.slice(0, 300);
    metrics.alerts.inc({ kind: 'non_conformant_token_response' });
    log.warn({ integration: integration.key, reason: success.nonConformant }, 'non-conformant token response used anyway');
  }
  return { update, detail };
}
