// Gathering what diagnosis needs (docs/design.md "Diagnosis"): the connection's history, the grant
// ledger, the org's active spike — read here, so the rules themselves stay pure.
import type { AppContext } from '../context.js';
import { countNewerLiveGrants } from '../db/grant-ledger/count-newer-live-grants.js';
import { otherOrgDiagnosedInWindow } from '../db/spikes/diagnosed-orgs.js';
import { findActiveOrgSpike } from '../db/spikes/spike-rows.js';
import type { ConnectionRow, IntegrationRow } from '../db/types.js';
import type { Diagnosis } from '../domain/diagnosis.js';
import type { Classification, ProviderFailure } from '../providers/classify.js';
import { diagnose } from './diagnose.js';
import type { DiagnosisEvidence } from './types.js';

type Grant = Pick<
  ConnectionRow,
  'id' | 'org_id' | 'user_id' | 'diagnosis' | 'authorized_at' | 'last_refreshed_at' | 'created_at' | 'outcome_unknown_at' | 'grant_origin'
>;

/** What the failed refresh was for: the connect flow's verification of the grant it just obtained, or anything else. */
export interface FailedRefreshContext {
  verifying: boolean;
}

/** A failed refresh, explained with everything the connection's history and the ledger say. */
export async function diagnoseRefreshFailure(
  ctx: AppContext,
  row: Grant,
  integration: IntegrationRow,
  failure: ProviderFailure,
  classification: Classification,
  now: Date,
  context: FailedRefreshContext = { verifying: false },
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
  const namedCause = module.namedCause(failure);
  return diagnose(
    {
      failure,
      classification,
      namedCause,
      ipRestrictedElsewhere: permanent && namedCause === 'ip_restricted' && (await ipRefusedElsewhere(ctx, row, integration)),
      providerName: description?.name ?? integration.provider,
      // Only a known authorization time is evidence (an import without issued_at is not).
      firstRefreshSinceAuthorization: row.authorized_at !== null && (row.last_refreshed_at === null || row.last_refreshed_at < row.authorized_at),
      // A failed verification stays this grant's evidence: a later "try now" fails the same way.
      // (Only a certain diagnosis came from one; rows diagnosed before verification existed are probable.)
      failedVerification: context.verifying || (row.diagnosis?.code === 'immediate_expiry_policy' && row.diagnosis.confidence === 'certain'),
      importedNeverRefreshed: row.grant_origin === 'import' && row.last_refreshed_at === null,
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

/** The diagnoses of a refusal for the address Grantkeeper's calls come from (diagnosis/ip-blocked.ts). */
export const IP_REFUSAL_CODES = ['ip_restricted', 'refresh_ip_blocked'] as const;

/**
 * Another org of the integration was refused for its IP within the spike window, or this grant
 * was already explained that way (that evidence stays with it, as a spike's does).
 */
async function ipRefusedElsewhere(ctx: AppContext, row: Grant, integration: IntegrationRow): Promise<boolean> {
  if (row.diagnosis?.code === 'refresh_ip_blocked') return true;
  if (!row.org_id) return false;
  return otherOrgDiagnosedInWindow(ctx.db.kysely, integration.id, row.org_id, IP_REFUSAL_CODES, ctx.config.spikes.windowS);
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
  return rediagnoseStoredFailure(ctx, row, integration, { orgSpike: { orgId: spike.orgId, count: spike.count, windowS: ctx.config.spikes.windowS } });
}

/**
 * A dead grant's stored failure explained again with new evidence from other grants (a spike, IP
 * refusals in other orgs); null when the stored failure is not a permanent one.
 */
export function rediagnoseStoredFailure(
  ctx: AppContext,
  row: Pick<ConnectionRow, 'last_error'>,
  integration: IntegrationRow,
  evidence: Pick<DiagnosisEvidence, 'orgSpike' | 'ipRestrictedElsewhere'>,
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
      failedVerification: false,
      importedNeverRefreshed: false,
      rotationUncertain: false,
      newerLiveGrantsForSameProviderUser: null,
      grantLimit: null,
      idleSeconds: null,
      providerIdleLimitS: null,
      ...evidence,
    },
    module.diagnosisTexts,
  );
}
