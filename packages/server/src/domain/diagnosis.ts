// The diagnosis vocabulary (API `diagnosis`): codes, who fixes, and the words of each code.
// Shared by every room (provider modules supply the words; the database stores the result),
// so it is types only and imports nothing.

export type WhoFixes = 'end_user' | 'org_admin' | 'developer' | 'nobody_transient';

export type DiagnosisCode =
  | 'token_limit_evicted'
  | 'immediate_expiry_policy'
  | 'unknown_token'
  | 'immediate_expiry_or_revoked'
  | 'idle_expired'
  | 'lifetime_expired'
  | 'rotation_lost'
  | 'org_wide_revocation'
  | 'credentials_changed'
  | 'user_inactive'
  | 'org_inactive'
  | 'ip_restricted'
  | 'not_approved'
  | 'app_not_installed'
  | 'refresh_ip_blocked'
  | 'revoked'
  | 'client_credentials_invalid'
  | 'client_credentials_disabled'
  | 'assertion_rejected'
  | 'grant_type_unsupported'
  | 'scope_invalid'
  | 'address_blocked'
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
  /** The provider's display name (its catalog `name`). */
  provider: string;
}

export type DiagnosisTexts = Record<DiagnosisCode, (ctx: TextContext) => DiagnosisText>;
