// `/v1` is authenticated with `Authorization: Bearer <API key>` or, for the dashboard's own
// calls, its session cookie. A valid key or session costs no query: keys are looked up by
// digest in memory, sessions are HMACs checked against in-memory logouts. A wrong key is
// counted against its client's limit (a query, only on failure); once over it, every key
// that client presents is refused with 429 — from memory. The result is `request.principal`.
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { tooManyRequests, unauthorized } from '../errors.js';
import { recordAuthFailure, type AuthFailure } from './auth-failures.js';
import { clientAddress } from './client-address.js';
import { sessionPrincipal } from './dashboard-access.js';
import type { Principal } from './principal.js';

function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

export const tooManyWrongKeys = (retryAfterS: number) =>
  tooManyRequests('too_many_failed_attempts', 'Too many wrong API keys from this address; every key it sends is refused until Retry-After has passed.', retryAfterS);

/** The key behind a presented secret, or the 401/429 it gets. */
async function keyPrincipal(ctx: AppContext, request: FastifyRequest, secret: string): Promise<Principal> {
  const now = Date.now();
  const client = clientAddress(request.ip);
  const failure = (reason: AuthFailure['reason'], keyId?: string) => recordAuthFailure(ctx, { client, via: 'api', reason, keyId });
  const blockedForS = ctx.auth.limit.retryAfterS(client, now);
  if (blockedForS !== null) {
    await failure('blocked');
    throw tooManyWrongKeys(blockedForS);
  }
  const key = ctx.auth.keys.find(secret);
  if (key && (key.expiresAt === null || key.expiresAt.getTime() > now)) {
    ctx.auth.keys.noteUse(key, now);
    return key.principal;
  }
  const retryAfterS = await failure(key ? 'expired_key' : 'unknown_key', key?.id);
  if (retryAfterS !== null) throw tooManyWrongKeys(retryAfterS);
  throw key ? unauthorized('This API key has expired.') : unauthorized();
}

export async function authenticate(ctx: AppContext, request: FastifyRequest): Promise<void> {
  const secret = bearerToken(request);
  if (secret !== null) {
    request.principal = await keyPrincipal(ctx, request, secret);
    return;
  }
  const principal = sessionPrincipal(ctx, request);
  if (!principal) throw unauthorized();
  request.principal = principal;
}
