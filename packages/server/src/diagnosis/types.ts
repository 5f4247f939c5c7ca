// The diagnosis vocabulary (DESIGN.md "Diagnosis", API.md `diagnosis`). Codes are fixed by DESIGN.
import type { Classification, ProviderFailure } from '../providers/classify.js';

export type WhoFixes = 'end_user' | 'org_admin' | 'developer' | 'nobody_transient';

export type DiagnosisCode =
  | 'token_limit_evicted'
  | 'immediate_expiry_policy'
  | 'idle_expired'
  | 'lifetime_expired'
  | 'rotation_lost'
  | 'org_wide_revocation'
  | 'credentials_changed'
  | 'user_inactive'
  | 'org_inactive'
  | 'ip_restricted'
  | 'not_approved'
  | 'revoked'
  | 'client_credentials_invalid'
  | 'grant_type_unsupported'
  | 'scope_invalid'
  | 'unclassified_error'
  | 'provider_unavailable';

export type Confidence = 'certain' | 'probable';

export interface PreventionStep {
  who: WhoFixes;
  step: string;
}

export interface Diagnosis {
  code: DiagnosisCode;
  summary: string;
  causes: string[];
  fix: string[];
  who_fixes: WhoFixes;
  prevention: PreventionStep[];
  confidence: Confidence;
}

/** Everything diagnosis knows, gathered by the caller (diagnosis does no I/O). */
export interface DiagnosisEvidence {
  failure: ProviderFailure;
  classification: Classification;
  /** e.g. "Salesforce": used in the plain-words texts */
  providerName: string;
  /** No successful refresh since the grant was authorized or imported. */
  firstRefreshSinceAuthorization: boolean;
  /** A prior outcome `unknown`, an `in_flight` without outcome, or a refresh token older than a rotation we saw. */
  rotationUncertain: boolean;
  /** From the grant ledger: newer live grants for the same (provider, client_id, org, user); null when unknown. */
  newerLiveGrantsForSameProviderUser: number | null;
  /** The provider's max live grants per user per app (Salesforce 5); null when it has none or it is unknown. */
  grantLimit: number | null;
  /** How long the grant was unused before this failure. */
  idleSeconds: number | null;
  /** The provider's known idle limit; null when unknown. */
  providerIdleLimitS: number | null;
  /** An active failure spike covering this connection's org (orgId set) or its whole integration (orgId null). */
  orgSpike: { orgId: string | null; count: number; windowS: number } | null;
}

/** The words of one diagnosis code; who_fixes belongs to the code, not to the evidence. */
export interface DiagnosisText {
  summary: string;
  causes: string[];
  fix: string[];
  who_fixes: WhoFixes;
  prevention: PreventionStep[];
}

/** Values the texts are written with. */
export interface TextContext {
  /** e.g. "Salesforce" */
  provider: string;
}

export type DiagnosisTexts = Record<DiagnosisCode, (ctx: TextContext) => DiagnosisText>;
