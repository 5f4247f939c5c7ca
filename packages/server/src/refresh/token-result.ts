// An attempt's result as the token path answers it: the token, or the problem a caller
// sees (409 reauth_required / integration_error, 503 provider_unavailable / refresh_in_progress).
import type { AppContext } from '../context.js';
import { DomainError } from '../errors.js';
import { connectionToApi } from '../model/connection-view.js';
import { integrationToApi } from '../model/integrations.js';
import { connectionReconnectUrl } from '../model/reconnect-link.js';
import type { CachedToken } from './token-cache.js';
import type { AttemptResult } from './types.js';

export interface TokenView {
  access_token: string;
  token_type: 'Bearer';
  expires_at: string;
  instance_url: string | null;
  generation: number;
}

export interface TokenResult {
  token: TokenView;
  /** Set when a refresh was needed and failed, but the current token is still valid. */
  warning?: 'refresh_failed';
}

export function toTokenView(entry: CachedToken): TokenView {
  return {
    access_token: entry.accessToken,
    token_type: 'Bearer',
    expires_at: entry.expiresAt.toISOString(),
    instance_url: entry.instanceUrl,
    generation: entry.generation,
  };
}

export function toTokenResult(ctx: AppContext, result: AttemptResult): TokenResult {
  switch (result.kind) {
    case 'token':
      return { token: toTokenView(result.token), ...(result.warning ? { warning: result.warning } : {}) };
    case 'reauth_required': {
      const connection = connectionToApi(result.row, result.integration);
      throw new DomainError('conflict', 'reauth_required', 'The grant is unusable: the end user (or an admin, see diagnosis.who_fixes) must act.', [], {
        diagnosis: connection.diagnosis,
        reconnect_url: connectionReconnectUrl(ctx, result.row.id),
        connection,
      });
    }
    case 'integration_error': {
      const connection = connectionToApi(result.row, result.integration);
      throw new DomainError('conflict', 'integration_error', "The provider rejects the integration's own credentials or configuration; the developer must fix the integration.", [], {
        connection,
        integration: integrationToApi(result.integration, ctx.config.publicUrl),
        last_error: result.row.last_error ?? result.integration.last_error ?? null,
      });
    }
    case 'unavailable':
      if (result.reason === 'shutting_down') {
        throw new DomainError('unavailable', 'shutting_down', 'This instance is shutting down; retry.', [], { reason: result.reason }, result.retryAfterS);
      }
      throw new DomainError(
        'unavailable',
        'provider_unavailable',
        'The provider could not refresh the token just now; retry after the delay in Retry-After.',
        [],
        { reason: result.reason },
        result.retryAfterS,
      );
    case 'in_progress':
      throw new DomainError('unavailable', 'refresh_in_progress', 'Another instance is refreshing this connection; retry shortly.', [], {}, 1);
  }
}
