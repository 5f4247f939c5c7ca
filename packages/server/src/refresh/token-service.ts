// `GET /v1/connections/{id}/token`: a token valid for at least `min_valid_s`, from memory
// when possible (no query, no write), from one indexed read otherwise, and from the
// refresh engine only when the stored token will not do.
import type { AppContext } from '../context.js';
import { readTokenState } from '../db/connections/read-token-state.js';
import { invalid, notFound } from '../errors.js';
import { fromPublicId } from '../model/ids.js';
import { SingleFlight } from './single-flight.js';
import { storedToken } from './stored-token.js';
import { toTokenView, type TokenResult } from './token-result.js';

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

  const state = await readShared(ctx, id);
  if (!state) throw notFound(`Connection "${publicId}"`);
  const settings = state.integration_refresh;
  checkMinValid(request.minValidS, settings.access_token_ttl_s);
  const minValidS = request.minValidS ?? settings.margin_s;

  if (!request.force && state.integration_status === 'ok' && state.status !== 'needs_reauth') {
    const current = storedToken(ctx, state, settings);
    if (current) {
      ctx.tokenCache.set(current);
      if (current.expiresAt.getTime() - Date.now() >= minValidS * 1000) return { token: toTokenView(current) };
    }
  }
  return refresher.refreshForCaller(id, {
    force: request.force === true,
    minValidS,
    waitMs,
    arrivedAt: request.arrivedAt,
    trigger: 'on_demand', // `force` on the token path is still on demand; only POST …/refresh is an operator's "forced"
  });
}

type TokenState = Awaited<ReturnType<typeof readTokenState>>;

/**
 * Concurrent misses for one connection share one read: a herd on an expired token costs one
 * query per instance, not one per caller queued for the pool's connections. A joined read
 * is at most one query old, like a cached token; the engine reads again before any refresh.
 */
const sharedReads = new WeakMap<AppContext, SingleFlight<TokenState>>();

function readShared(ctx: AppContext, id: string): Promise<TokenState> {
  let reads = sharedReads.get(ctx);
  if (!reads) sharedReads.set(ctx, (reads = new SingleFlight<TokenState>()));
  return reads.run(id, () => readTokenState(ctx.db.kysely, id));
}

function checkMinValid(minValidS: number | undefined, ttlS: number): void {
  if (minValidS !== undefined && minValidS >= ttlS) {
    throw invalid([{ field: 'min_valid_s', message: `must be below the integration's access_token_ttl_s (${ttlS})` }]);
  }
}
