// What every dashboard route shares: the session a page runs under (with the permissions of
// the key that made it), the CSRF and same-origin checks of its forms, and page answers.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requestSession, type DashboardAccess } from '../auth/dashboard-access.js';
import { csrfMatches, csrfToken } from '../auth/dashboard-sessions.js';
import type { AppContext } from '../context.js';
import { apiClient, type ApiClient } from './api-client.js';
import { html } from './html.js';
import { page, type Permissions } from './layout.js';

export interface UiRequest {
  access: DashboardAccess;
  csrf: string;
  api: ApiClient;
  permissions: Permissions;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A posted form (urlencoded) or JSON object's fields; nothing for any other body. */
export const formOf = (request: FastifyRequest): Record<string, unknown> => (isRecord(request.body) ? request.body : {});

export const sendPage = (reply: FastifyReply, status: number, body: string) => reply.code(status).type('text/html; charset=utf-8').send(body);

export function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true; // older browsers omit it on same-origin posts; the CSRF token still applies
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

export function permissionsOf(access: DashboardAccess): Permissions {
  const scopes = access.principal.scopes;
  return { writeConnections: scopes.has('connections:write'), manageWebhooks: scopes.has('webhooks:write'), manageKeys: scopes.has('admin'), manageIntegrations: scopes.has('integrations:write') };
}

/** The page's 403 for a section the session's key may not use. */
export function forbiddenPage(reply: FastifyReply, ui: UiRequest, scope: string) {
  return sendPage(reply, 403, page({
    title: 'Not allowed',
    section: null,
    csrf: ui.csrf,
    permissions: ui.permissions,
    body: html`<h1>Not allowed</h1><p>The API key of this session has no <code>${scope}</code> scope. <a href="/ui">Back to the overview</a></p>`,
  }));
}

/** Resolves the session for a page; otherwise answers (redirect to login / 403) and returns null. */
export function uiGuard(ctx: AppContext, app: FastifyInstance) {
  return (request: FastifyRequest, reply: FastifyReply, { post = false } = {}): UiRequest | null => {
    const access = requestSession(ctx, request);
    if (!access) {
      void reply.code(303).header('location', '/ui/login').send();
      return null;
    }
    const csrf = csrfToken(ctx.keyring, access.session);
    const permissions = permissionsOf(access);
    if (post && (!sameOrigin(request) || !csrfMatches(ctx.keyring, access.session, formOf(request)._csrf))) {
      void sendPage(reply, 403, page({ title: 'Forbidden', section: null, csrf, permissions, body: html`<h1>Forbidden</h1><p>This form has expired. <a href="/ui">Reload the dashboard</a> and try again.</p>` }));
      return null;
    }
    return { access, csrf, api: apiClient(app, request, csrf), permissions };
  };
}
