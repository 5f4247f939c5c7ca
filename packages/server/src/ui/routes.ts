// The dashboard (issue #7): server-rendered pages under /ui, plain forms for every action
// (a small same-origin script only enhances them), a strict CSP, and a session cookie an API
// key is exchanged for once (session-routes.ts). Pages read and act through the /v1 API
// in-process, with the session's key's scopes: a read-only key gets no action forms.
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type {
  Connection,
  ConnectionCounts,
  ConnectionEvent,
  Integration,
  Page,
  ReconnectLink,
  RefreshSeries,
  Spike,
  WebhookDelivery,
  WebhookEndpoint,
} from '../api/schemas.js';
import type { AppContext } from '../context.js';
import { withQuery } from './api-client.js';
import { APP_CSS, APP_JS, ICON_SVG } from './assets.js';
import { forbiddenPage, formOf, sendPage, uiGuard, type UiRequest } from './guard.js';
import { AuditPageQuery, auditView } from './audit-view.js';
import { html } from './html.js';
import { integrationPages } from './integration-routes.js';
import { keysRoutes } from './keys-routes.js';
import { newIntegrationRoutes } from './new-integration-routes.js';
import { page } from './layout.js';
import { connectionPage } from './pages/connection.js';
import { connectionsPage } from './pages/connections.js';
import { overviewPage, WINDOWS, type WindowKey } from './pages/overview.js';
import { webhooksPage } from './pages/webhooks.js';
import { sessionRoutes } from './session-routes.js';

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

const noticeFor = (key: string | undefined) => (key !== undefined && Object.hasOwn(NOTICES, key) ? NOTICES[key] : null);

// The query fields each page reads. Every value stays `unknown` until `str` vets it, so an
// odd URL (a repeated or over-long parameter) is ignored by the page, never a 400.
const field = Type.Optional(Type.Unknown());
const OverviewQuery = Type.Object({ window: field, integration: field });
const ConnectionsQuery = Type.Object({ integration: field, status: field, org_id: field, end_user_id: field, external_id: field, diagnosis: field, cursor: field });
const ConnectionQuery = Type.Object({ notice: field, events_cursor: field });
const WebhooksQuery = Type.Object({ status: field, endpoint: field, cursor: field, notice: field });
const IdParams = Type.Object({ id: Type.String() });
const EndpointActionParams = Type.Object({ id: Type.String(), action: Type.String() });

const str = (value: unknown, max = 256): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim().slice(0, max) : undefined;

const isWindowKey = (value: unknown): value is WindowKey => typeof value === 'string' && Object.hasOwn(WINDOWS, value);

const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'];

/** The deliveries filter a link or a form may carry: unknown values are dropped. */
function deliveryFilters(status: string | undefined, endpoint: string | undefined): { status?: string; endpoint?: string } {
  return {
    status: status && DELIVERY_STATUSES.includes(status) ? status : undefined,
    endpoint: endpoint && PUBLIC_ID.test(endpoint) ? endpoint : undefined,
  };
}

export function uiRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (plugin) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
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

    const notFoundPage = (reply: FastifyReply, ui: UiRequest, what: string) =>
      sendPage(reply, 404, page({ title: 'Not found', section: null, csrf: ui.csrf, permissions: ui.permissions, body: html`<h1>Not found</h1><p>${what} was not found.</p><p><a href="/ui">Back to the overview</a></p>` }));

    const guard = uiGuard(ctx, plugin);
    await plugin.register(sessionRoutes(ctx));
    await plugin.register(keysRoutes(ctx));
    await plugin.register(newIntegrationRoutes(ctx));

    app.get('/ui/assets/app.css', { schema: { hide: true } }, async (_request, reply) =>
      reply.header('cache-control', 'no-cache').type('text/css; charset=utf-8').send(APP_CSS),
    );
    app.get('/ui/assets/app.js', { schema: { hide: true } }, async (_request, reply) =>
      reply.header('cache-control', 'no-cache').type('text/javascript; charset=utf-8').send(APP_JS),
    );

    app.get('/ui/assets/icon.svg', { schema: { hide: true } }, async (_request, reply) =>
      reply.header('cache-control', 'max-age=86400').type('image/svg+xml').send(ICON_SVG),
    );

    app.get('/ui/', { schema: { hide: true } }, async (_request, reply) => reply.code(301).header('location', '/ui').send());

    app.get('/ui', { schema: { hide: true, querystring: OverviewQuery } }, async (request, reply) => {
      const ui = guard(request, reply);
      if (!ui) return reply;
      const q = request.query;
      const windowKey: WindowKey = isWindowKey(q.window) ? q.window : '24h';
      const integration = str(q.integration, 64) ?? null;
      const w = WINDOWS[windowKey];
      const now = Date.now();
      const [counts, refreshes, spikes] = await Promise.all([
        ui.api.get<ConnectionCounts>('/v1/stats/connections'),
        ui.api.get<RefreshSeries>(withQuery('/v1/stats/refreshes', { integration, bucket: w.bucket, from: new Date(now - w.ms).toISOString(), to: new Date(now).toISOString() })),
        ui.api.get<Page<Spike>>('/v1/spikes?active=true'),
      ]);
      return sendPage(reply, 200, overviewPage({
        csrf: ui.csrf,
        permissions: ui.permissions,
        window: windowKey,
        integration,
        counts: counts.ok ? counts.body : null,
        refreshes: refreshes.ok ? refreshes.body : null,
        spikes: spikes.ok ? spikes.body.data : null,
      }));
    });

    app.get('/ui/connections', { schema: { hide: true, querystring: ConnectionsQuery } }, async (request, reply) => {
      const ui = guard(request, reply);
      if (!ui) return reply;
      const q = request.query;
      const filters = { integration: str(q.integration, 64), status: str(q.status, 32), org_id: str(q.org_id, 18), end_user_id: str(q.end_user_id, 256), external_id: str(q.external_id, 255), diagnosis: str(q.diagnosis, 64) };
      const cursor = str(q.cursor, 512) ?? null;
      // Integration names from the plain list (cheap), not from the counts (a pass over every connection).
      const [list, integrationList] = await Promise.all([
        ui.api.get<Page<Connection>>(withQuery('/v1/connections', { ...filters, cursor, limit: 50 })),
        ui.api.get<Page<Integration>>('/v1/integrations?limit=500'),
      ]);
      const integrations = integrationList.ok ? integrationList.body.data.map((i) => i.key).sort() : [];
      if (list.ok) return sendPage(reply, 200, connectionsPage({ csrf: ui.csrf, permissions: ui.permissions, filters, integrations, cursor, result: list.body, error: null }));
      const reasons = list.problem?.errors?.map((e) => `${e.field.replace(/^querystring\./, '')} ${e.message}`).join('; ');
      const error = `The filters were not accepted: ${reasons || list.problem?.detail || 'unknown error'}`;
      return sendPage(reply, 400, connectionsPage({ csrf: ui.csrf, permissions: ui.permissions, filters, integrations, cursor, result: null, error }));
    });

    const connectionView = async (ui: UiRequest, reply: FastifyReply, id: string, eventsCursor: string | null, extra: { message?: { text: string; error?: boolean } | null; reconnect?: ReconnectLink | null } = {}) => {
      if (!PUBLIC_ID.test(id)) return notFoundPage(reply, ui, 'This connection');
      const [connection, events] = await Promise.all([
        ui.api.get<Connection>(`/v1/connections/${id}`),
        ui.api.get<Page<ConnectionEvent>>(withQuery(`/v1/connections/${id}/events`, { limit: 50, cursor: eventsCursor })),
      ]);
      if (!connection.ok) return notFoundPage(reply, ui, 'This connection');
      return sendPage(reply, 200, connectionPage({
        csrf: ui.csrf,
        permissions: ui.permissions,
        connection: connection.body,
        events: events.ok ? events.body : null,
        eventsCursor,
        message: extra.message ?? null,
        reconnect: extra.reconnect ?? null,
      }));
    };

    app.get('/ui/connections/:id', { schema: { hide: true, params: IdParams, querystring: ConnectionQuery } }, async (request, reply) => {
      const ui = guard(request, reply);
      if (!ui) return reply;
      const q = request.query;
      return connectionView(ui, reply, request.params.id, str(q.events_cursor, 512) ?? null, { message: noticeFor(str(q.notice, 64)) });
    });

    app.post('/ui/connections/:id/refresh', { schema: { hide: true, params: IdParams } }, async (request, reply) => {
      const ui = guard(request, reply, { post: true });
      if (!ui) return reply;
      const { id } = request.params;
      if (!PUBLIC_ID.test(id)) return notFoundPage(reply, ui, 'This connection');
      if (!ui.permissions.writeConnections) return forbiddenPage(reply, ui, 'connections:write');
      // …/verify, not …/refresh: the same forced refresh, answered with the connection, never the token.
      const result = await ui.api.send<Connection>('POST', `/v1/connections/${id}/verify`);
      if (result.status === 404) return notFoundPage(reply, ui, 'This connection');
      const code = result.ok ? null : result.problem?.code;
      const notice =
        result.ok ? 'refresh_ok'
        : code === 'reauth_required' ? 'refresh_reauth'
        : code === 'integration_error' ? 'refresh_integration_error'
        : result.status === 503 ? 'refresh_unavailable'
        : 'refresh_failed';
      return reply.code(303).header('location', `/ui/connections/${id}?notice=${notice}`).send();
    });

    app.post('/ui/connections/:id/reconnect-link', { schema: { hide: true, params: IdParams } }, async (request, reply) => {
      const ui = guard(request, reply, { post: true });
      if (!ui) return reply;
      const { id } = request.params;
      if (!PUBLIC_ID.test(id)) return notFoundPage(reply, ui, 'This connection');
      if (!ui.permissions.writeConnections) return forbiddenPage(reply, ui, 'connections:write');
      const result = await ui.api.send<ReconnectLink>('POST', `/v1/connections/${id}/reconnect-link`);
      if (!result.ok) return notFoundPage(reply, ui, 'This connection');
      // Rendered in this response (not a redirect): the link must not travel in a URL.
      return connectionView(ui, reply, id, null, { reconnect: result.body, message: { text: 'A fresh reconnect link was created; copy it below.' } });
    });

    integrationPages(plugin, { guard, sendPage, notFoundPage });

    app.get('/ui/webhooks', { schema: { hide: true, querystring: WebhooksQuery } }, async (request, reply) => {
      const ui = guard(request, reply);
      if (!ui) return reply;
      if (!ui.permissions.manageWebhooks) return forbiddenPage(reply, ui, 'webhooks:write');
      const q = request.query;
      const filters = deliveryFilters(str(q.status, 16), str(q.endpoint, 64));
      const cursor = str(q.cursor, 512) ?? null;
      const [endpoints, deliveries] = await Promise.all([
        ui.api.get<Page<WebhookEndpoint>>('/v1/webhook-endpoints?limit=100'),
        ui.api.get<Page<WebhookDelivery>>(withQuery('/v1/webhook-deliveries', { ...filters, cursor, limit: 50 })),
      ]);
      return sendPage(reply, 200, webhooksPage({
        csrf: ui.csrf,
        permissions: ui.permissions,
        message: noticeFor(str(q.notice, 64)),
        endpoints: endpoints.ok ? endpoints.body : null,
        deliveries: deliveries.ok ? deliveries.body : null,
        filters,
        cursor,
      }));
    });

    app.post('/ui/webhooks/endpoints/:id/:action', { schema: { hide: true, params: EndpointActionParams } }, async (request, reply) => {
      const ui = guard(request, reply, { post: true });
      if (!ui) return reply;
      const { id, action } = request.params;
      if (!ui.permissions.manageWebhooks) return forbiddenPage(reply, ui, 'webhooks:write');
      if (!PUBLIC_ID.test(id) || !['enable', 'disable', 'ping'].includes(action)) return notFoundPage(reply, ui, 'This endpoint action');
      let notice = 'action_failed';
      if (action === 'ping') {
        const result = await ui.api.send<WebhookDelivery>('POST', `/v1/webhook-endpoints/${id}/ping`);
        if (result.ok) notice = result.body.status === 'delivered' ? 'ping_delivered' : 'ping_failed';
      } else {
        const result = await ui.api.send<WebhookEndpoint>('PATCH', `/v1/webhook-endpoints/${id}`, { enabled: action === 'enable' });
        if (result.ok) notice = action === 'enable' ? 'endpoint_enabled' : 'endpoint_disabled';
      }
      return reply.code(303).header('location', `/ui/webhooks?notice=${notice}`).send();
    });

    app.get('/ui/audit', { schema: { hide: true, querystring: AuditPageQuery } }, async (request, reply) => {
      const ui = guard(request, reply);
      if (!ui) return reply;
      const view = await auditView(ui, request.query);
      return sendPage(reply, view.status, view.html);
    });

    app.post('/ui/webhooks/deliveries/:id/retry', { schema: { hide: true, params: IdParams } }, async (request, reply) => {
      const ui = guard(request, reply, { post: true });
      if (!ui) return reply;
      const { id } = request.params;
      if (!ui.permissions.manageWebhooks) return forbiddenPage(reply, ui, 'webhooks:write');
      const form = formOf(request);
      let notice = 'action_failed';
      if (PUBLIC_ID.test(id)) {
        const result = await ui.api.send<WebhookDelivery>('POST', `/v1/webhook-deliveries/${id}/retry`);
        if (result.ok) notice = 'delivery_retried';
      }
      const filters = deliveryFilters(str(form.status, 16), str(form.endpoint, 64));
      return reply.code(303).header('location', withQuery('/ui/webhooks', { ...filters, notice })).send();
    });
  };
}
