// Webhooks: endpoints (enable, disable, ping) and deliveries (status, attempts, last
// response, retry), through the webhook API. Secrets are never shown here.
import type { Page, WebhookDelivery, WebhookEndpoint } from '../../api/schemas.js';
import { html, query, time, type Safe } from '../html.js';
import { actionButton, badge, notice, page, type Permissions } from '../layout.js';

export interface WebhooksData {
  csrf: string;
  permissions?: Permissions;
  message: { text: string; error?: boolean } | null;
  endpoints: Page<WebhookEndpoint> | null;
  deliveries: Page<WebhookDelivery> | null;
  filters: { status?: string; endpoint?: string };
  cursor: string | null;
}

const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'];

function endpointsSection(data: WebhooksData): Safe {
  if (!data.endpoints) return html`<p class="notice error" role="alert">The webhook endpoints API is unavailable on this server.</p>`;
  if (data.endpoints.data.length === 0) return html`<p>No webhook endpoints. Create one with <code>POST /v1/webhook-endpoints</code>.</p>`;
  return html`<div class="table-wrap"><table class="responsive" id="endpoints-table">
    <thead><tr><th scope="col">URL</th><th scope="col">Events</th><th scope="col">State</th><th scope="col">Actions</th></tr></thead>
    <tbody>${data.endpoints.data.map(
      (e) => html`<tr data-endpoint="${e.id}">
        <td data-label="URL"><code>${e.url}</code><br><span class="muted mono">${e.id}</span></td>
        <td data-label="Events">${e.events && e.events.length > 0 ? e.events.join(', ') : html`<span class="muted">all</span>`}${e.format === 'nango' ? html`<br><span class="muted" data-format="nango">Nango format</span>` : ''}</td>
        <td data-label="State">${badge(e.enabled ? 'enabled' : 'disabled')}${!e.enabled && e.disabled_reason ? html`<br><span class="muted">${e.disabled_reason}</span>` : ''}</td>
        <td data-label="Actions"><div class="actions">
          ${e.enabled
            ? actionButton(`/ui/webhooks/endpoints/${e.id}/disable`, data.csrf, html`Disable<span class="sr-only"> ${e.url}</span>`, { secondary: true })
            : actionButton(`/ui/webhooks/endpoints/${e.id}/enable`, data.csrf, html`Enable<span class="sr-only"> ${e.url}</span>`, { secondary: true })}
          ${actionButton(`/ui/webhooks/endpoints/${e.id}/ping`, data.csrf, html`Ping<span class="sr-only"> ${e.url}</span>`, { secondary: true })}
          <a href="/ui/webhooks${query({ endpoint: e.id })}">Deliveries</a>
        </div></td>
      </tr>`,
    )}</tbody></table></div>`;
}

function lastResponse(d: WebhookDelivery): Safe {
  if (d.last_response_status === null && !d.last_error) return html`<span class="muted">no attempt yet</span>`;
  const snippet = d.last_response_body?.slice(0, 120) ?? '';
  return html`${d.last_response_status !== null ? html`HTTP ${d.last_response_status}` : ''}${d.last_error ? html` <code>${d.last_error}</code>` : ''}${snippet ? html`<br><span class="muted mono">${snippet}</span>` : ''}`;
}

function deliveriesSection(data: WebhooksData): Safe {
  const f = data.filters;
  const endpointOptions = data.endpoints?.data ?? [];
  const form = html`<form class="filters" method="get" action="/ui/webhooks" aria-label="Filter deliveries">
    <div class="field"><label for="d-status">Status</label>
      <select id="d-status" name="status"><option value="">All</option>
        ${DELIVERY_STATUSES.map((s) => html`<option value="${s}"${s === f.status ? html` selected` : ''}>${s}</option>`)}
      </select></div>
    <div class="field"><label for="d-endpoint">Endpoint</label>
      <select id="d-endpoint" name="endpoint"><option value="">All</option>
        ${endpointOptions.map((e) => html`<option value="${e.id}"${e.id === f.endpoint ? html` selected` : ''}>${e.url}</option>`)}
      </select></div>
    <button type="submit">Filter</button>
  </form>`;
  if (!data.deliveries) return html`${form}<p class="notice error" role="alert">The webhook deliveries API is unavailable on this server.</p>`;
  const rows = data.deliveries.data;
  const table = rows.length === 0
    ? html`<p role="status">No deliveries match.</p>`
    : html`<div class="table-wrap"><table class="responsive" id="deliveries-table">
      <thead><tr><th scope="col">Event</th><th scope="col">Status</th><th scope="col" class="num">Attempts</th><th scope="col">Last response</th><th scope="col">Next attempt</th><th scope="col">Action</th></tr></thead>
      <tbody>${rows.map(
        (d) => html`<tr data-delivery="${d.id}">
          <td data-label="Event"><strong>${d.event_type}</strong><br><span class="muted mono">${d.id}</span><br>${time(d.created_at)}</td>
          <td data-label="Status">${badge(d.status)}</td>
          <td data-label="Attempts" class="num">${d.attempts}</td>
          <td data-label="Last response">${lastResponse(d)}</td>
          <td data-label="Next attempt">${time(d.next_attempt_at)}</td>
          <td data-label="Action">${actionButton(`/ui/webhooks/deliveries/${d.id}/retry`, data.csrf, html`Retry now<span class="sr-only"> delivery ${d.id}</span>`, { secondary: true, fields: { status: f.status ?? '', endpoint: f.endpoint ?? '' } })}</td>
        </tr>`,
      )}</tbody></table></div>`;
  const next = data.deliveries.next_cursor;
  return html`${form}${table}<nav class="pager" aria-label="Delivery pages">
    ${data.cursor ? html`<a href="/ui/webhooks${query({ ...f })}">First page</a>` : ''}
    ${next ? html`<a rel="next" href="/ui/webhooks${query({ ...f, cursor: next })}">Next page →</a>` : ''}
  </nav>`;
}

export function webhooksPage(data: WebhooksData): string {
  return page({
    title: 'Webhooks',
    section: 'webhooks',
    csrf: data.csrf,
    permissions: data.permissions,
    body: html`<h1>Webhooks</h1>
      ${notice(data.message)}
      <section class="panel" aria-labelledby="endpoints-h"><h2 id="endpoints-h">Endpoints</h2>${endpointsSection(data)}</section>
      <section class="panel" aria-labelledby="deliveries-h"><h2 id="deliveries-h">Deliveries</h2>${deliveriesSection(data)}</section>`,
  });
}
