// `GET /v1/connections/{id}/token`: a token valid for at least `min_valid_s`, from memory
// when possible (no query, no write), from one indexed read otherwise, and from the
// refresh engine only when the stored token will not do.
import type { AppContext } from '../context.js';
import { decryptSecret } from '../crypto/envelope.js';
import { readTokenState, type TokenState } from '../db/connections/read-token-state.js';
import type { RefreshSettings } from '../domain/grants.js';
import { invalid, notFound } from '../errors.js';
import { connectionSecretPlace } from '../model/secret-places.js';
import { fromPublicId } from '../model/ids.js';
import type { CachedToken } from './token-cache.js';

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

export interface TokenRequest {
  minValidS?: number;
  force?: boolean;
  waitMs?: number;
  /** When the request arrived: a forced refresh is skipped if the grant changed after it. */
  arrivedAt: Date;
}

/** What the token path needs from the refresh engine. */
export interface Refresher {
  refreshForCaller(
    connectionId: string,
    options: { force: boolean; minValidS: number; waitMs: number; arrivedAt: Date; trigger: 'on_demand' | 'forced' },
  ): Promise<TokenResult>;
  /** `POST …/refresh`: ignores backoff; on a dead grant exactly one provider call. */
  refreshForced(connectionId: string): Promise<TokenResult>;
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

export async function getToken(ctx: AppContext, refresher: Refresher, publicId: string, request: TokenRequest): Promise<TokenResult> {
  const id = fromPublicId('connection', publicId);
  if (!id) throw notFound(`Connection "${publicId}"`);
  const waitMs = Math.min(request.waitMs ?? ctx.config.refresh.waitMsDefault, ctx.config.refresh.waitMsMax);

  if (!request.force) {
    const cached = ctx.tokenCache.peek(id);
    if (cached) {
      checkMinValid(request.minValidS, cached.accessTokenTtlS);
      const hit = ctx.tokenCache.get(id, (request.minValidS ?? cached.marginS) * 1000);
      if (hit) {
        ctx.metrics.tokenCache.inc({ result: 'hit' });
        return { token: toTokenView(hit) };
      }
    }
    ctx.metrics.tokenCache.inc({ result: 'miss' });
  }

  const state = await readTokenState(ctx.db.kysely, id);
  if (!state) throw notFound(`Connection "${publicId}"`);
  const settings = state.integration_refresh as RefreshSettings;
  checkMinValid(request.minValidS, settings.access_token_ttl_s);
  const minValidS = request.minValidS ?? settings.margin_s;

  if (!request.force && state.integration_status === 'ok' && state.status !== 'needs_reauth') {
    const current = currentToken(ctx, state, settings);
    if (current && current.expiresAt.getTime() - Date.now() >= minValidS * 1000) return { token: toTokenView(current) };
  }
  return refresher.refreshForCaller(id, {
    force: request.force === true,
    minValidS,
    waitMs,
    arrivedAt: request.arrivedAt,
    trigger: 'on_demand', // `force` on the token path is still on demand; only POST …/refresh is an operator's "forced"
  });
}

function checkMinValid(minValidS: number | undefined, ttlS: number): void {
  if (minValidS !== undefined && minValidS >= ttlS) {
    throw invalid([{ field: 'min_valid_s', message: `must be below the integration's access_token_ttl_s (${ttlS})` }]);
  }
}

/** The stored access token (decrypted once per generation, then cached). */
export function currentToken(ctx: AppContext, state: TokenState, settings: RefreshSettings): CachedToken | null {
  if (!state.access_token_enc || !state.access_token_expires_at) return null;
  const generation = Number(state.generation);
  const confirmed = ctx.tokenCache.confirm(state.id, generation);
  if (confirmed) return confirmed;
  const entry: CachedToken = {
    connectionId: state.id,
    generation,
    accessToken: decryptSecret(ctx.keyring, state.access_token_enc, connectionSecretPlace(state.id, 'access_token_enc')),
    expiresAt: state.access_token_expires_at,
    instanceUrl: state.instance_url,
    marginS: settings.margin_s,
    accessTokenTtlS: settings.access_token_ttl_s,
    checkedAt: Date.now(),
  };
  if (state.status !== 'needs_reauth' && state.integration_status === 'ok') ctx.tokenCache.set(entry);
  return entry;
}

