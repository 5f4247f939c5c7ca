// A dashboard session on an HTTP request: read from its cookie, and what it may do. The
// dashboard pages (ui/) and the API (api/) both ask here, so the rules live once.
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import type { ApiKeyRecord } from './api-key-store.js';
import { CSRF_HEADER, SESSION_COOKIE, csrfMatches, readCookie, verifySessionValue, type UiSession } from './dashboard-sessions.js';
import type { Principal } from './principal.js';

export interface DashboardAccess {
  session: UiSession;
  key: ApiKeyRecord;
  /** The key's scopes without the token ones, and its integration limits. */
  principal: Principal;
}

/** The cookie's session, signature and expiry checked — even if logged out or its key is gone (logout uses it). */
export function requestSessionCookie(ctx: AppContext, request: FastifyRequest): UiSession | null {
  const value = readCookie(request.headers.cookie, SESSION_COOKIE);
  return value ? verifySessionValue(ctx.keyring, value) : null;
}

/**
 * The request's live dashboard session: signed, unexpired, not logged out, and made with a
 * key that is still valid — revoking the key, removing it from GRANTKEEPER_SECRET_KEY or
 * resetting it ends every session it made. All in memory.
 */
export function requestSession(ctx: AppContext, request: FastifyRequest, now = Date.now()): DashboardAccess | null {
  const session = requestSessionCookie(ctx, request);
  if (!session || ctx.auth.sessions.isRevoked(session.id)) return null;
  const key = ctx.auth.keys.get(session.keyId);
  if (!key || (key.expiresAt !== null && key.expiresAt.getTime() <= now)) return null;
  return { session, key, principal: key.sessionPrincipal };
}

/** The principal a session acts as on this /v1 call, or null when it may not make it. */
export function sessionPrincipal(ctx: AppContext, request: FastifyRequest): Principal | null {
  const access = requestSession(ctx, request);
  if (!access) return null;
  // A state-changing call must also prove it comes from our pages (defence in depth
  // beside SameSite=Strict): the page's CSRF token in a header a form cannot set.
  if (request.method === 'GET' || request.method === 'HEAD') return access.principal;
  return csrfMatches(ctx.keyring, access.session, request.headers[CSRF_HEADER]) ? access.principal : null;
}

/** Whether a key may open the dashboard: its pages read connections. */
export function mayUseDashboard(key: ApiKeyRecord): boolean {
  return key.sessionPrincipal.scopes.has('connections:read');
}
