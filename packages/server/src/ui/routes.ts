// The dashboard (issue #7): server-rendered pages under /ui, plain forms for every action
// (a small same-origin script only enhances them), a strict CSP, and a session cookie the
// secret key is exchanged for once. Pages read and act through the /v1 API in-process.
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { apiClient, withQuery, type ApiClient } from './api-client.js';
import { APP_CSS, APP_JS, ICON_SVG } from './assets.js';
import { html } from './html.js';
import { page } from './layout.js';
import { connectionPage } from './pages/connection.js';
import { connectionsPage } from './pages/connections.js';
import { loginPage } from './pages/login.js';
import { overviewPage, WINDOWS, type WindowKey } from './pages/overview.js';
import { webhooksPage } from './pages/webhooks.js';
import {
  CSRF_HEADER,
  SESSION_COOKIE,
  clearedSessionCookie,
  csrfMatches,
  csrfToken,
  issueSession,
  readCookie,
  revokeSession,
  sessionCookie,
  verifySessionValue,
  type UiSession,
} from '../auth/dashboard-sessions.js';

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/** Public ids we put in /v1 paths: prefix + hex; anything else cannot name a resource. */
const PUBLIC_ID = /^[a-z]{2,5}_[0-9a-f]{32}$/;

const NOTICES: Record<string, { text: string; error?: boolean }> = {
  refresh_ok: { text: 'Refreshed: the provider issued a new access token (not shown).' },
  refresh_reauth: { text: 'The provider still refuses this grant: the connection needs re-authentication. The diagnosis below is up to date.', error: true },
  refresh_integration_error: { text: "The provider rejects the integration's own credentials; fix the integration, then try again.", error: true },
  refresh_unavailable: { text: 'The provider is unavailable right now; Grantkeeper keeps retrying.', error: true },
  refresh_failed: { text: 'The refresh could not be completed.', error: true },
  endpoint_enabled: { text: 'Endpoint enabled.' },
  endpoint_disabled: { text: 'Endpoint disabled.' },
  ping_delivered: { text: 'Ping delivered.' },
  ping_failed: { text: 'Ping sent, but the endpoint did not accept it (see its deliveries).', error: true },
  delivery_retried: { text: 'Delivery queued for a new attempt now.' },
  action_failed: { text: 'That action failed; the resource may have been removed.', error: true },
};

interface UiRequest {
  session: UiSession;
  csrf: string;
  api: ApiClient;
}

function sessionOf(ctx: AppContext, request: FastifyRequest): UiSession | null {
  const value = readCookie(request.headers.cookie, SESSION_COOKIE);
  return value ? verifySessionValue(ctx.keyring, value) : null;
}

/** Whether the request carries a valid dashboard session cookie (accepted by /v1 like an API key). */
export function hasUiSession(ctx: AppContext, request: FastifyRequest): boolean {
  const session = sessionOf(ctx, request);
  if (!session) return false;
  // The dashboard never shows a token, so its session cannot fetch one: a script that
  // somehow ran in the page still could not read access tokens.
  if (request.routeOptions?.url === '/v1/connections/:id/token') return false;
  // A state-changing call must also prove it comes from our pages (defence in depth
  // beside SameSite=Strict): the page's CSRF token in a header a form cannot set.
  if (request.method === 'GET' || request.method === 'HEAD') return true;
  return csrfMatches(ctx.keyring, session, request.headers[CSRF_HEADER]);
}

const str = (value: unknown, max = 256): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim().slice(0, max) : undefined;

function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true; // older browsers omit it on same-origin posts; the CSRF token still applies
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

export function uiRoutes(ctx: AppContext): FastifyPluginAsync {
  const secure = ctx.config.publicUrl.startsWith('https:');
  return async (app) => {
    if (!app.hasContentTypeParser('application/x-www-form-urlencoded')) {
      app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_req, body, done) => {
        done(null, Object.fromEntries(new URLSearchParams(String(body))));
      });
    }

    app.addHook('onSend', async (_request, reply, payload) => {
      reply.header('content-security-policy', CSP);
      reply.header('x-frame-options', 'DENY');
      reply.header('x-content-type-options', 'nosniff');
      // same-origin, not no-referrer: with no-referrer Chrome sends `Origin: null` on our own form posts.
      reply.header('referrer-policy', 'same-origin');
      reply.header('cross-origin-opener-policy', 'same-origin');
      if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
      return payload;
    });

    const sendPage = (reply: FastifyReply, status: number, body: string) => reply.code(status).type('text/html; charset=utf-8').send(body);

    const notFoundPage = (reply: FastifyReply, csrf: string, what: string) =>
      sendPage(reply, 404, page({ title: 'Not found', section: null, csrf, body: html`<h1>Not found</h1><p>${what} was not found.</p><p><a href="/ui">Back to the overview</a></p>` }));

    /** Resolves the session for a page; otherwise answers (redirect to login / 403) and returns null. */
    const guard = (request: FastifyRequest, reply: FastifyReply, { post = false } = {}): UiRequest | null => {
      const session = sessionOf(ctx, request);
      if (!session) {
        void reply.code(303).header('location', '/ui/login').send();
        return null;
      }
      const csrf = csrfToken(ctx.keyring, session);
      if (post) {
        const body = (request.body ?? {}) as Record<string, unknown>;
        if (!sameOrigin(request) || !csrfMatches(ctx.keyring, session, body._csrf)) {
          void sendPage(reply, 403, page({ title: 'Forbidden', section: null, csrf, body: html`<h1>Forbidden</h1><p>This form has expired. <a href="/ui">Reload the dashboard</a> and try again.</p>` }));
          return null;
        }
      }
      return { session, csrf, api: apiClient(app as unknown as FastifyInstance, request, csrf) };
    };

    app.get('/ui/assets/app.css', { schema: { hide: true } }, async (_request, reply) =>
      reply.header('cache-control', 'no-cache').type('text/css; charset=utf-8').send(APP_CSS),
    );
    app.get('/ui/assets/app.js', { schema: { hide: true } }, async (_request, reply) =>
      reply.header('cache-control', 'no-cache').type('text/javascript; charset=utf-8').send(APP_JS),
    );

    app.get('/ui/assets/icon.svg', { schema: { hide: true } }, async (_request, reply) =>
      reply.header('cache-control', 'max-age=86400').type('image/svg+xml').send(ICON_SVG),
    );

    app.get('/ui/login', { schema: { hide: true } }, async (request, reply) => {
      if (sessionOf(ctx, request)) return reply.code(303).header('location', '/ui').send();
      return sendPage(reply, 200, loginPage(null));
    });

    app.post('/ui/session', {
      schema: {
        tags: ['operations'],
        summary: 'Exchange the secret key for a dashboard session cookie',
        description: 'Form field or JSON member `key`. Sets an HttpOnly, SameSite=Strict session cookie.',
      },
    }, async (request, reply) => {
      const isForm = String(request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
      const body = (request.body ?? {}) as Record<string, unknown>;
      const key = typeof body.key === 'string' ? body.key.trim() : '';
      if (!sameOrigin(request) || key === '' || key.length > 1024 || !ctx.apiKeys.verify(key)) {
        if (isForm) return sendPage(reply, 401, loginPage('That key is not valid.'));
        return reply.code(401).type('application/problem+json').send({
          type: 'https://grantkeeper.dev/problems/unauthorized', title: 'Unauthorized', status: 401, code: 'unauthorized', detail: 'The secret key is not valid.',
        });
      }
      const { cookieValue } = issueSession(ctx.keyring, ctx.config.ui.sessionTtlS);
      reply.header('set-cookie', sessionCookie(cookieValue, ctx.config.ui.sessionTtlS, secure));
      if (isForm) return reply.code(303).header('location', '/ui').send();
      return reply.code(204).send();
    });

    app.post('/ui/logout', { schema: { hide: true } }, async (request, reply) => {
      const session = sessionOf(ctx, request);
      const body = (request.body ?? {}) as Record<string, unknown>;
      if (session && csrfMatches(ctx.keyring, session, body._csrf)) revokeSession(ctx.keyring, session);
      return reply.header('set-cookie', clearedSessionCookie(secure)).code(303).header('location', '/ui/login').send();
    });

    app.get('/ui/', { schema: { hide: true } }, async (_request, reply) => reply.code(301).header('location', '/ui').send());

    app.get('/ui', { schema: { hide: true } }, async (request, reply) => {
      const ui = guard(request, reply);
      if (!ui) return reply;
      const q = request.query as Record<string, unknown>;
      const windowKey: WindowKey = typeof q.window === 'string' && q.window in WINDOWS ? (q.window as WindowKey) : '24h';
      const integration = str(q.integration, 64) ?? null;
      const w = WINDOWS[windowKey];
      const now = Date.now();
      const [counts, refreshes, spikes] = await Promise.all([
        ui.api.get('/v1/stats/connections'),
        ui.api.get(withQuery('/v1/stats/refreshes', { integration, bucket: w.bucket, from: new Date(now - w.ms).toISOString(), to: new Date(now).toISOString() })),
        ui.api.get('/v1/spikes?active=true'),
      ]);
      return sendPage(reply, 200, overviewPage({
        csrf: ui.csrf,
        window: windowKey,
        integration,
        counts: counts.status === 200 ? counts.body : null,
        refreshes: refreshes.status === 200 ? refreshes.body : null,
        spikes: { available: spikes.status === 200, data: spikes.status === 200 && Array.isArray(spikes.body?.data) ? spikes.body.data : [] },
      }));
    });

    app.get('/ui/connections', { schema: { hide: true } }, async (request, reply) => {
      const ui = guard(request, reply);
      if (!ui) return reply;
      const q = request.query as Record<string, unknown>;
      const filters = { integration: str(q.integration, 64), status: str(q.status, 32), org_id: str(q.org_id, 18), end_user_id: str(q.end_user_id, 256) };
      const cursor = str(q.cursor, 512) ?? null;
      // Integration names from the plain list (cheap), not from the counts (a pass over every connection).
      const [list, integrationList] = await Promise.all([
        ui.api.get(withQuery('/v1/connections', { ...filters, cursor, limit: 50 })),
        ui.api.get('/v1/integrations?limit=500'),
      ]);
      const integrations = integrationList.status === 200 ? (integrationList.body.data as { key: string }[]).map((i) => i.key).sort() : [];
      const error = list.status === 200 ? null : `The filters were not accepted: ${list.body?.errors?.map((e: { field: string; message: string }) => `${e.field.replace(/^querystring\./, '')} ${e.message}`).join('; ') || list.body?.detail || 'unknown error'}`;
      return sendPage(reply, list.status === 200 ? 200 : 400, connectionsPage({ csrf: ui.csrf, filters, integrations, cursor, result: list.status === 200 ? list.body : null, error }));
    });

    const connectionView = async (ui: UiRequest, reply: FastifyReply, id: string, eventsCursor: string | null, extra: { message?: { text: string; error?: boolean } | null; reconnect?: { url: string; expires_at: string } | null } = {}) => {
      if (!PUBLIC_ID.test(id)) return notFoundPage(reply, ui.csrf, 'This connection');
      const [connection, events] = await Promise.all([
        ui.api.get(`/v1/connections/${id}`),
        ui.api.get(withQuery(`/v1/connections/${id}/events`, { limit: 50, cursor: eventsCursor })),
      ]);
      if (connection.status !== 200) return notFoundPage(reply, ui.csrf, 'This connection');
      return sendPage(reply, 200, connectionPage({
        csrf: ui.csrf,
        connection: connection.body,
        events: events.status === 200 ? events.body : null,
        eventsCursor,
        message: extra.message ?? null,
        reconnect: extra.reconnect ?? null,
      }));
    };

    app.get('/ui/connections/:id', { schema: { hide: true } }, async (request, reply) => {
      const ui = guard(request, reply);
      if (!ui) return reply;
      const { id } = request.params as { id: string };
      const q = request.query as Record<string, unknown>;
      const noticeKey = str(q.notice, 64);
      return connectionView(ui, reply, id, str(q.events_cursor, 512) ?? null, { message: noticeKey ? (NOTICES[noticeKey] ?? null) : null });
    });

    app.post('/ui/connections/:id/refresh', { schema: { hide: true } }, async (request, reply) => {
      const ui = guard(request, reply, { post: true });
      if (!ui) return reply;
      const { id } = request.params as { id: string };
      if (!PUBLIC_ID.test(id)) return notFoundPage(reply, ui.csrf, 'This connection');
      const result = await ui.api.send('POST', `/v1/connections/${id}/refresh`);
      if (result.status === 404) return notFoundPage(reply, ui.csrf, 'This connection');
      const notice =
        result.status === 200 ? 'refresh_ok'
        : result.body?.code === 'reauth_required' ? 'refresh_reauth'
        : result.body?.code === 'integration_error' ? 'refresh_integration_error'
        : result.status === 503 ? 'refresh_unavailable'
        : 'refresh_failed';
      return reply.code(303).header('location', `/ui/connections/${id}?notice=${notice}`).send();
    });

    app.post('/ui/connections/:id/reconnect-link', { schema: { hide: true } }, async (request, reply) => {
      const ui = guard(request, reply, { post: true });
      if (!ui) return reply;
      const { id } = request.params as { id: string };
      if (!PUBLIC_ID.test(id)) return notFoundPage(reply, ui.csrf, 'This connection');
      const result = await ui.api.send('POST', `/v1/connections/${id}/reconnect-link`);
      if (result.status !== 200) return notFoundPage(reply, ui.csrf, 'This connection');
      // Rendered in this response (not a redirect): the link must not travel in a URL.
      return connectionView(ui, reply, id, null, { reconnect: result.body, message: { text: 'A fresh reconnect link was created; copy it below.' } });
    });

    app.get('/ui/webhooks', { schema: { hide: true } }, async (request, reply) => {
      const ui = guard(request, reply);
      if (!ui) return reply;
      const q = request.query as Record<string, unknown>;
      const status = str(q.status, 16);
      const endpoint = str(q.endpoint, 64);
      const filters = { status: status && ['pending', 'delivered', 'failed'].includes(status) ? status : undefined, endpoint: endpoint && PUBLIC_ID.test(endpoint) ? endpoint : undefined };
      const cursor = str(q.cursor, 512) ?? null;
      const [endpoints, deliveries] = await Promise.all([
        ui.api.get('/v1/webhook-endpoints?limit=100'),
        ui.api.get(withQuery('/v1/webhook-deliveries', { ...filters, cursor, limit: 50 })),
      ]);
      const noticeKey = str(q.notice, 64);
      return sendPage(reply, 200, webhooksPage({
        csrf: ui.csrf,
        message: noticeKey ? (NOTICES[noticeKey] ?? null) : null,
        endpoints: endpoints.status === 200 ? endpoints.body : null,
        deliveries: deliveries.status === 200 ? deliveries.body : null,
        filters,
        cursor,
      }));
    });

    app.post('/ui/webhooks/endpoints/:id/:action', { schema: { hide: true } }, async (request, reply) => {
      const ui = guard(request, reply, { post: true });
      if (!ui) return reply;
      const { id, action } = request.params as { id: string; action: string };
      if (!PUBLIC_ID.test(id) || !['enable', 'disable', 'ping'].includes(action)) return notFoundPage(reply, ui.csrf, 'This endpoint action');
      let notice = 'action_failed';
      if (action === 'ping') {
        const result = await ui.api.send('POST', `/v1/webhook-endpoints/${id}/ping`);
        if (result.status === 200) notice = result.body?.status === 'delivered' ? 'ping_delivered' : 'ping_failed';
      } else {
        const result = await ui.api.send('PATCH', `/v1/webhook-endpoints/${id}`, { enabled: action === 'enable' });
        if (result.status === 200) notice = action === 'enable' ? 'endpoint_enabled' : 'endpoint_disabled';
      }
      return reply.code(303).header('location', `/ui/webhooks?notice=${notice}`).send();
    });

    app.post('/ui/webhooks/deliveries/:id/retry', { schema: { hide: true } }, async (request, reply) => {
      const ui = guard(request, reply, { post: true });
      if (!ui) return reply;
      const { id } = request.params as { id: string };
      const body = (request.body ?? {}) as Record<string, unknown>;
      const back = { status: str(body.status, 16), endpoint: str(body.endpoint, 64) };
      let notice = 'action_failed';
      if (PUBLIC_ID.test(id)) {
        const result = await ui.api.send('POST', `/v1/webhook-deliveries/${id}/retry`);
        if (result.status === 200) notice = 'delivery_retried';
      }
      const filters = {
        status: back.status && ['pending', 'delivered', 'failed'].includes(back.status) ? back.status : undefined,
        endpoint: back.endpoint && PUBLIC_ID.test(back.endpoint) ? back.endpoint : undefined,
      };
      return reply.code(303).header('location', withQuery('/ui/webhooks', { ...filters, notice })).send();
    });
  };
}
