// One integration: the callback URL to register at the provider, its settings and health,
// links to its connections, and the connect flows that failed — each with the real reason
// the end user's return URL only carried as a short code.
import type { Integration, IntegrationEvent, Page } from '../../api/schemas.js';
import { html, query, time, type Safe } from '../html.js';
import { actionButton, badge, page, statusLabel, type Permissions } from '../layout.js';

export interface IntegrationData {
  csrf: string;
  permissions: Permissions;
  integration: Integration;
  failures: Page<IntegrationEvent> | null;
  failuresCursor: string | null;
}

const STATUSES = ['active', 'refresh_failing', 'needs_reauth', 'integration_error'] as const;

const endUserOf = (e: IntegrationEvent) => (typeof e.detail?.end_user_id === 'string' ? e.detail.end_user_id : null);

function failuresSection(data: IntegrationData): Safe {
  const key = encodeURIComponent(data.integration.key);
  const rows = data.failures?.data ?? [];
  const body = !data.failures
    ? html`<p class="notice error" role="alert">The failed connect flows could not be read right now.</p>`
    : rows.length === 0
      ? html`<p role="status">No connect flow has failed${data.failuresCursor ? ' further back' : ''}.</p>`
      : html`<div class="table-wrap"><table class="responsive" id="connect-failures">
        <caption class="sr-only">Failed connect flows, newest first</caption>
        <thead><tr><th scope="col">When</th><th scope="col">Error</th><th scope="col">What happened</th><th scope="col">End user</th><th scope="col">Connection</th></tr></thead>
        <tbody>${rows.map(
          (e) => html`<tr>
            <td data-label="When">${time(e.at)}</td>
            <td data-label="Error"><code data-connect-error>${e.error ?? '—'}</code>${e.http_status ? html`<br><span class="muted">HTTP ${e.http_status}</span>` : ''}</td>
            <td data-label="What happened">${e.error_description ?? '—'}</td>
            <td data-label="End user">${endUserOf(e) ?? html`<span class="muted">—</span>`}</td>
            <td data-label="Connection">${e.connection_id ? html`<a href="/ui/connections/${e.connection_id}">${e.connection_id}</a>` : html`<span class="muted">none stored</span>`}</td>
          </tr>`,
        )}</tbody></table></div>`;
  return html`<section class="panel" aria-labelledby="failures-h">
    <h2 id="failures-h">Failed connect flows</h2>
    <p class="muted">The end user's return URL only gets <code>status=error&amp;error=&lt;code&gt;</code>; here is why.</p>
    ${body}
    <nav class="pager" aria-label="Failure pages">
      ${data.failuresCursor ? html`<a href="/ui/integrations/${key}#failures-h">Newest</a>` : ''}
      ${data.failures?.next_cursor ? html`<a rel="next" href="/ui/integrations/${key}${query({ cursor: data.failures.next_cursor })}#failures-h">Older →</a>` : ''}
    </nav>
  </section>`;
}

export function integrationPage(data: IntegrationData): string {
  const i = data.integration;
  const refresh = i.refresh;
  return page({
    title: `Integration ${i.key}`,
    section: 'integrations',
    csrf: data.csrf,
    permissions: data.permissions,
    body: html`<p><a href="/ui/integrations">← All integrations</a></p>
      <h1>${i.key} <span class="muted">(${i.provider})</span></h1>
      <p>Status: ${badge(i.status)}${typeof i.connection_count === 'number' ? html` · ${i.connection_count} connection${i.connection_count === 1 ? '' : 's'}` : ''}</p>
      <section class="panel" aria-labelledby="callback-h">
        <h2 id="callback-h">Callback URL</h2>
        <p>Register this redirect URI (callback URL) in the provider's settings of the OAuth app <code>${i.client_id}</code>; the connect flow sends exactly this.</p>
        <label for="callback-url" class="sr-only">Callback URL</label>
        <input id="callback-url" type="text" readonly value="${i.callback_url}" size="60">
        <button type="button" class="secondary" data-copy="callback-url" data-status="callback-status" hidden>Copy</button>
        <p id="callback-status" role="status" aria-live="polite"></p>
      </section>
      ${i.last_error
        ? html`<section class="panel" aria-labelledby="ierror-h"><h2 id="ierror-h">Last error</h2><dl class="facts">
            <dt>At</dt><dd>${time(i.last_error.at)}</dd><dt>HTTP status</dt><dd>${i.last_error.http_status ?? '—'}</dd>
            <dt>Error</dt><dd><code>${i.last_error.error ?? '—'}</code></dd><dt>Description</dt><dd>${i.last_error.error_description ?? '—'}</dd></dl></section>`
        : ''}
      ${failuresSection(data)}
      <section class="panel" aria-labelledby="conns-h">
        <h2 id="conns-h">Connections</h2>
        <ul class="segmented">
          <li><a href="/ui/connections${query({ integration: i.key })}">All</a></li>
          ${STATUSES.map((s) => html`<li><a href="/ui/connections${query({ integration: i.key, status: s })}">${statusLabel(s)}</a></li>`)}
        </ul>
      </section>
      <section class="panel" aria-labelledby="settings-h">
        <h2 id="settings-h">Settings</h2>
        <dl class="facts">
          <dt>Client id</dt><dd><code>${i.client_id}</code></dd>
          <dt>Client secret</dt><dd>${i.has_client_secret ? 'set (never shown)' : 'none (public client)'}</dd>
          <dt>Grant type</dt><dd><code data-grant-type>${i.grant_type}</code>${i.client_auth === 'private_key_jwt' ? html` · client authentication <code>private_key_jwt</code>` : ''}</dd>
          ${i.jwt_audience ? html`<dt>JWT audience</dt><dd>${i.jwt_audience}</dd>` : ''}
          ${i.public_key_pem
            ? html`<dt>Public key</dt><dd>SHA-256 <code>${i.public_key_fingerprint_sha256 ?? ''}</code> (the private key is never shown; <code>grantkeeper integrations certificate ${i.key}</code>)<pre class="public-key">${i.public_key_pem}</pre>${data.permissions.manageIntegrations ? actionButton(`/ui/integrations/${i.key}/certificate`, data.csrf, 'Download certificate', { secondary: true }) : ''}</dd>`
            : ''}
          <dt>Scopes</dt><dd>${i.scopes.join(' ') || '—'}</dd>
          ${i.auth_base_url ? html`<dt>Auth base URL</dt><dd>${i.auth_base_url}</dd>` : ''}
          ${i.authorization_url ? html`<dt>Authorization URL</dt><dd>${i.authorization_url}</dd>` : ''}
          ${i.token_url ? html`<dt>Token URL</dt><dd>${i.token_url}</dd>` : ''}
          ${i.revoke_url ? html`<dt>Revoke URL</dt><dd>${i.revoke_url}</dd>` : ''}
          <dt>Refresh</dt><dd>margin ${refresh.margin_s} s, keepalive ${refresh.keepalive_s} s, access-token lifetime ${refresh.access_token_ttl_s} s, at most ${refresh.max_per_s}/s${refresh.keep_warm ? ', kept warm' : ''}</dd>
          <dt>Created</dt><dd>${time(i.created_at)}</dd>
          <dt>Updated</dt><dd>${time(i.updated_at)}</dd>
        </dl>
      </section>`,
  });
}
