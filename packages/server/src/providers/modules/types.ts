// The behaviour of a provider that its catalog data cannot express: how to read a token
// response, and which error signatures mean what.
import type { ClassificationRules } from '../classify.js';

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
  account?: { orgId: string; userId: string };
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

export interface ProviderModule {
  interpretTokenResponse(body: Record<string, unknown>, context: TokenResponseContext): GrantUpdate;
  classificationRules: ClassificationRules;
}
