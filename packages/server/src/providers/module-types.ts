// The behaviour of a provider that its catalog data cannot express: how to read a token
// response, and which error signatures mean what.
import type { DiagnosisTexts } from '../domain/diagnosis.js';
import type { ClassificationRules, ProviderFailure } from './classify.js';
import type { ProviderReadiness } from './readiness-types.js';

export interface TokenResponseContext {
  receivedAt: Date;
  /** The integration's assumed access-token lifetime (used when the response has no expires_in). */
  accessTokenTtlS: number;
  clientSecret: string | null;
  /** When the grant was authorized (null: unknown, e.g. an import without issued_at). */
  authorizedAt?: Date | null;
  /** The provider's known absolute refresh-token lifetime, counted from authorization. */
  refreshTokenAbsoluteTtlS?: number | null;
}

export interface GrantUpdate {
  accessToken: string;
  /** A new refresh token when the provider rotated (or first issued) one; null otherwise. */
  refreshToken: string | null;
  expiresAt: Date;
  /** undefined: leave as stored. */
  instanceUrl?: string | null;
  idUrl?: string;
  account?: ProviderAccount;
  scopes?: string[];
  /** Salesforce signs id + issued_at; a mismatch is recorded and alerted, never a reason to drop the response. */
  signature: 'valid' | 'mismatch' | 'absent' | 'not_applicable';
  /** Provider issue time minus our receive time, in seconds, when the provider states one. */
  clockSkewS: number | null;
  /**
   * When the stored refresh token dies regardless of use: the provider's
   * `refresh_token_expires_in`, else authorization time + a known absolute lifetime.
   * undefined: nothing known from this response (leave as stored).
   */
  refreshTokenExpiresAt?: Date;
}

/**
 * A refusal that names its own cause (the provider's wire text for "the user is inactive",
 * "the password changed", …), read by the provider's module. Diagnosis ranks these above the
 * vaguer clues of a grant's history; an answer naming no cause is read as null.
 */
export type NamedCause =
  | 'credentials_changed'
  | 'user_inactive'
  | 'org_inactive'
  | 'ip_restricted'
  | 'not_approved'
  | 'lifetime_expired'
  | 'app_not_installed';

/** The provider account (org and user) a grant belongs to, when the provider has one. */
export interface ProviderAccount {
  orgId: string;
  userId: string;
}

/** What an imported grant's identity URL says about its account. */
export type ImportedAccount = { ok: true; account: ProviderAccount | null } | { ok: false; message: string };

export interface ProviderModule {
  interpretTokenResponse(body: Record<string, unknown>, context: TokenResponseContext): GrantUpdate;
  classificationRules: ClassificationRules;
  /** The words explaining each diagnosis for this provider's users and admins. */
  diagnosisTexts: DiagnosisTexts;
  /** What a permanent refusal says about its cause; null when it says nothing specific. */
  namedCause(failure: Pick<ProviderFailure, 'error' | 'errorDescription' | 'grantType'>): NamedCause | null;
  /** Reads the account from an import's `credentials.id_url` (undefined: none given). */
  readImportedAccount(idUrl: string | undefined): ImportedAccount;
  /**
   * The provider's own rule for a grant type on a login host (Salesforce: Client Credentials
   * needs a My Domain); a problem for the integration's field, or null when it is fine.
   */
  checkGrantType?(grantType: 'authorization_code' | 'client_credentials' | 'jwt_bearer', authBaseUrl: string | null): { field: string; message: string } | null;
  /** A readiness report against the provider's own requirements (`grantkeeper doctor --<module>`), when it has one. */
  readiness?: ProviderReadiness;
}
