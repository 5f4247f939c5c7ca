// RFC 6749 token responses: expires_in when given (else the integration's assumed
// lifetime), a refresh_token when the provider issues or rotates one, the granted scope.
import { OAUTH2_CLASSIFICATION_RULES } from '../classify.js';
import type { GrantUpdate, ProviderModule, TokenResponseContext } from './types.js';

export function expiresFromExpiresIn(body: Record<string, unknown>, context: TokenResponseContext): Date {
  const raw = body.expires_in;
  const seconds = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : null;
  const lifetime = seconds !== null && seconds > 0 ? seconds : context.accessTokenTtlS;
  return new Date(context.receivedAt.getTime() + lifetime * 1000);
}

export function grantedScopes(body: Record<string, unknown>): string[] | undefined {
  return typeof body.scope === 'string' && body.scope.trim() !== '' ? body.scope.trim().split(/[\s,]+/) : undefined;
}

export const genericModule: ProviderModule = {
  classificationRules: OAUTH2_CLASSIFICATION_RULES,
  interpretTokenResponse(body, context): GrantUpdate {
    return {
      accessToken: String(body.access_token),
      refreshToken: typeof body.refresh_token === 'string' && body.refresh_token !== '' ? body.refresh_token : null,
      expiresAt: expiresFromExpiresIn(body, context),
      scopes: grantedScopes(body),
      signature: 'not_applicable',
      clockSkewS: null,
    };
  },
};
