// RFC 6749 token responses: expires_in when given (else the integration's assumed
// lifetime), a refresh_token when the provider issues or rotates one (always stored: a
// rotated token is the only one left), the granted scope, and the refresh token's own
// expiry when the provider states it or its absolute lifetime is known.
import { OAUTH2_CLASSIFICATION_RULES } from '../classify.js';
import type { GrantUpdate, ProviderModule, TokenResponseContext } from '../module-types.js';
import { GENERIC_DIAGNOSIS_TEXTS } from './texts.js';

// Ten years: a larger stated lifetime is treated as this (an absurd value must not make an
// unrepresentable date).
const MAX_LIFETIME_S = 315_360_000;

/** A positive whole number of seconds sent as a number or a digit string; null otherwise. */
function positiveSeconds(raw: unknown): number | null {
  const seconds = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d{1,15}$/.test(raw) ? Number(raw) : null;
  if (seconds === null || !Number.isFinite(seconds) || seconds <= 0) return null;
  return Math.min(seconds, MAX_LIFETIME_S);
}

/** expiry = our receive time + expires_in (never the provider's clock). */
export function expiresFromExpiresIn(body: Record<string, unknown>, context: TokenResponseContext): Date {
  const lifetime = positiveSeconds(body.expires_in) ?? context.accessTokenTtlS;
  return new Date(context.receivedAt.getTime() + lifetime * 1000);
}

/**
 * The refresh token's hard expiry, so the product can warn before the end user must
 * reconnect: a stated `refresh_token_expires_in` (GitHub, Airtable, QuickBooks, LinkedIn…)
 * wins; otherwise a known absolute lifetime counted from a known authorization time.
 * undefined when neither is known.
 */
export function refreshTokenExpiry(body: Record<string, unknown>, context: TokenResponseContext): Date | undefined {
  const stated = positiveSeconds(body.refresh_token_expires_in);
  if (stated !== null) return new Date(context.receivedAt.getTime() + stated * 1000);
  const absolute = context.refreshTokenAbsoluteTtlS ?? null;
  if (absolute !== null && context.authorizedAt) return new Date(context.authorizedAt.getTime() + absolute * 1000);
  return undefined;
}

export function grantedScopes(body: Record<string, unknown>): string[] | undefined {
  return typeof body.scope === 'string' && body.scope.trim() !== '' ? body.scope.trim().split(/[\s,]+/) : undefined;
}

export const genericModule: ProviderModule = {
  classificationRules: OAUTH2_CLASSIFICATION_RULES,
  diagnosisTexts: GENERIC_DIAGNOSIS_TEXTS,
  // Generic providers name no account in an identity URL: it is stored, not read.
  readImportedAccount: () => ({ ok: true, account: null }),
  // RFC 6749 gives `invalid_grant` no standard descriptions to read a cause from.
  namedCause: () => null,
  interpretTokenResponse(body, context): GrantUpdate {
    const refreshTokenExpiresAt = refreshTokenExpiry(body, context);
    return {
      accessToken: String(body.access_token),
      refreshToken: typeof body.refresh_token === 'string' && body.refresh_token !== '' ? body.refresh_token : null,
      expiresAt: expiresFromExpiresIn(body, context),
      scopes: grantedScopes(body),
      signature: 'not_applicable',
      clockSkewS: null,
      ...(refreshTokenExpiresAt ? { refreshTokenExpiresAt } : {}),
    };
  },
};
