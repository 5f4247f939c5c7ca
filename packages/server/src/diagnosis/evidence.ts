// Gathering what diagnosis needs (docs/design.md "Diagnosis"): the connection's history, the grant
// ledger, the org's active spike — read here, so the rules themselves stay pure.
import type { AppContext } from '../context.js';
import { countNewerLiveGrants } from '../db/grant-ledger/count-newer-live-grants.js';
import { findActiveOrgSpike } from '../db/spikes/spike-rows.js';
import type { ConnectionRow, IntegrationRow } from '../db/types.js';
import type { Diagnosis } from '../domain/diagnosis.js';
import type { Classification, ProviderFailure } from '../providers/classify.js';
import { diagnose } from './diagnose.js';
import type { DiagnosisEvidence } from './types.js';

type Grant = Pick<
  ConnectionRow,
  'id' | 'org_id' | 'user_id' | 'diagnosis' | 'authorized_at' | 'last_refreshed_at' | 'created_at' | 'outcome_unknown_at'
>;

/** A failed refresh, explained with everything the connection's history and the ledger say. */
export async function diagnoseRefreshFailure(
  ctx: AppContext,
  row: Grant,
  integration: IntegrationRow,
  failure: ProviderFailure,
  classification: Classification,
  now: Date,
): Promise<Diagnosis> {
  const description = ctx.providers.describe(integration.provider);
  const permanent = classification.class === 'permanent';
  let newer: number | null = null;
  if (permanent && row.org_id && row.user_id) {
    newer = await countNewerLiveGrants(
      ctx.db.kysely,
      { provider: integration.provider, clientId: integration.client_id, orgId: row.org_id, userId: row.user_id },
      row.id,
    );
  }
  // Many grants of this org failing together (an active spike) point at its admin.
  let orgSpike: DiagnosisEvidence['orgSpike'] = null;
  if (permanent && row.org_id) {
    const spike = await findActiveOrgSpike(ctx.db.kysely, integration.id, row.org_id);
    if (spike) orgSpike = { orgId: row.org_id, count: spike.count, windowS: ctx.config.spikes.windowS };
    // The spike that explained this grant's death stays its evidence after the spike ends.
    else if (row.diagnosis?.code === 'org_wide_revocation') orgSpike = { orgId: row.org_id, count: 0, windowS: ctx.config.spikes.windowS };
  }
  const lastUse = Math.max(row.last_refreshed_at?.getTime() ?? 0, (row.authorized_at ?? row.created_at).getTime());
  const module = ctx.providers.module(integration.provider);
  return diagnose(
    {
      failure,
      classification,
      namedCause: module.namedCause(failure),
      providerName: description?.name ?? integration.provider,
      // Only a known authorization time is evidence (an import without issued_at is not).
      firstRefreshSinceAuthorization: row.authorized_at !== null && (row.last_refreshed_at === null || row.last_refreshed_at < row.authorized_at),
      rotationUncertain: row.outcome_unknown_at !== null,
      newerLiveGrantsForSameProviderUser: newer,
      grantLimit: description?.grantLimit?.limit ?? null,
      idleSeconds: (now.getTime() - lastUse) / 1000,
      providerIdleLimitS: description?.refreshTokenIdleTtlS ?? null,
      orgSpike,
    },
    module.diagnosisTexts,
  );
}

/**
 * A dead grant's stored failure explained again with an org spike as evidence. Whatever other
 * evidence there was is already in its stored code (only codes a spike may overturn are
 * re-explained); null when the stored failure is not a permanent one.
 */
export function rediagnoseWithSpike(
  ctx: AppContext,
  row: Pick<ConnectionRow, 'last_error'>,
  integration: IntegrationRow,
  spike: { orgId: string | null; count: number },
): Diagnosis | null {
  const lastError = row.last_error;
  if (!lastError) return null;
  const failure: ProviderFailure = {
    kind: 'oauth_error',
    grantType: 'refresh_token',
    httpStatus: lastError.http_status,
    error: lastError.error,
    errorDescription: lastError.error_description,
    bodyWasJson: true,
    requestSent: true,
  };
  const module = ctx.providers.module(integration.provider);
  const classification = ctx.providers.classify(integration.provider, failure);
  if (classification.class !== 'permanent') return null;
  return diagnose(
    {
      failure,
      classification,
      namedCause: module.namedCause(failure),
      providerName: ctx.providers.describe(integration.provider)?.name ?? integration.provider,
      firstRefreshSinceAuthorization: false,
      rotationUncertain: false,
      newerLiveGrantsForSameProviderUser: null,
      grantLimit: null,
      idleSeconds: null,
      providerIdleLimitS: null,
      orgSpike: { orgId: spike.orgId, count: spike.count, windowS: ctx.config.spikes.windowS },
    },
    module.diagnosisTexts,
  );
}
