// A dashboard session on an HTTP request: read from its cookie, and what it may do on /v1.
// The dashboard pages (ui/) and the API (api/) both ask here, so the rules live once.
import type { FastifyRequest } from 'fastify';
import type { Keyring } from '../crypto/keyring.js';
import { CSRF_HEADER, SESSION_COOKIE, csrfMatches, readCookie, verifySessionValue, type UiSession } from './dashboard-sessions.js';

/** The valid session the request's cookie carries, or null. */
export function requestSession(keyring: Keyring, request: FastifyRequest): UiSession | null {
  const value = readCookie(request.headers.cookie, SESSION_COOKIE);
  return value ? verifySessionValue(keyring, value) : null;
}

/** Whether the request's dashboard session may make this /v1 call (in place of an API key). */
export function sessionMayCallApi(keyring: Keyring, request: FastifyRequest): boolean {
  const session = requestSession(keyring, request);
  if (!session) return false;
  // The dashboard never shows a token, so its session cannot fetch one: a script that
  // somehow ran in the page still could not read access tokens.
  if (request.routeOptions.url === '/v1/connections/:id/token') return false;
  // A state-changing call must also prove it comes from our pages (defence in depth
  // beside SameSite=Strict): the page's CSRF token in a header a form cannot set.
  if (request.method === 'GET' || request.method === 'HEAD') return true;
  return csrfMatches(keyring, session, request.headers[CSRF_HEADER]);
}
