// Who a dashboard login, logout or failed login is, for the audit log (the /v1 calls a
// session makes carry the same actor through `authenticate`'s principal).
import type { Actor } from '../domain/access.js';
import type { UiSession } from './dashboard-sessions.js';

/**
 * The actor of a session. Sessions do not yet record the key that made them: every valid
 * one acts for the environment keys, as `authenticate` says. When they do, read it here.
 */
export function sessionActor(_session: UiSession): Actor {
  return { type: 'dashboard', id: 'env', name: 'GRANTKEEPER_SECRET_KEY' };
}

/** A login with a wrong key: nobody known (the key tried is never recorded). */
export const UNKNOWN_DASHBOARD_USER: Actor = { type: 'dashboard', id: null, name: null };
