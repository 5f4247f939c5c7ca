// One connection: its diagnosis as a card, last error, provider account, actions (force a
// refresh, a fresh reconnect link) and the event timeline. No token is ever rendered.
import type { Connection, ConnectionEvent, Diagnosis, Page, ReconnectLink } from '../../api/schemas.js';
import { html, query, time, type Safe } from '../html.js';
import { actionButton, badge, csrfField, notice, page, whoFixesText, type Permissions } from '../layout.js';

export interface ConnectionData {
  csrf: string;
  permissions?: Permissions;
  connection: Connection;
  events: Page<ConnectionEvent> | null;
  eventsCursor: string | null;
  message: { text: string; error?: boolean } | null;
  /** A reconnect link just created by a no-JavaScript form post. */
  reconnect: ReconnectLink | null;
}

function diagnosisCard(d: Diagnosis | null): Safe {
  if (!d) return html`<section class="panel diagnosis" aria-labelledby="diag-h"><h2 id="diag-h">Diagnosis</h2><p>Nothing to diagnose: the grant is healthy.</p></section>`;
  return html`<section class="panel diagnosis" aria-labelledby="diag-h" id="diagnosis">
    <h2 id="diag-h">Diagnosis</h2>
    <p class="summary">${d.summary}</p>
    <dl class="facts">
      <dt>Code</dt><dd><code data-diagnosis-code>${d.code}</code> <span class="muted">(${d.confidence === 'probable' ? 'probable' : 'certain'})</span></dd>
      <dt>Who fixes it</dt><dd data-who-fixes="${d.who_fixes}"><strong>${whoFixesText(d.who_fixes)}</strong></dd>
    </dl>
    <h3>Likely causes</h3>
    <ul>${d.causes.map((c) => html`<li>${c}</li>`)}</ul>
    <h3>How to fix it</h3>
    <ol>${d.fix.map((c) => html`<li>${c}</li>`)}</ol>
    ${d.prevention.length > 0
      ? html`<h3>Prevention</h3><ul>${d.prevention.map((p) => html`<li><strong>${p.who}:</strong> ${p.step}</li>`)}</ul>`
      : ''}
  </section>`;
}

/** The connection's own URL values (a login host, a shop …), which say where its calls go. */
function configText(config: Record<string, string>): Safe | string {
  const entries = Object.entries(config);
  if (entries.length === 0) return '—';
  return html`${entries.map(([k, v], i) => html`${i > 0 ? ', ' : ''}<code>${k}</code> = ${v}`)}`;
}

function timeline(data: ConnectionData): Safe {
  const events = data.events?.data ?? [];
  const c = data.connection;
  const body = events.length === 0
    ? html`<p>No events.</p>`
    : html`<ol class="timeline" id="timeline">${events.map(
        (e) => html`<li>
          <strong>${e.type}</strong>${e.trigger ? html` <span class="muted">(${e.trigger})</span>` : ''} ${badge(e.outcome)}
          ${e.rotated ? html`<span class="badge">↻ rotated</span>` : ''}<br>
          ${time(e.at)}${e.http_status ? html` · HTTP ${e.http_status}` : ''}${typeof e.duration_ms === 'number' ? html` · ${e.duration_ms} ms` : ''}
          ${e.error ? html`<br><code>${e.error}</code>${e.error_description ? html` — ${e.error_description}` : ''}` : ''}
        </li>`,
      )}</ol>`;
  return html`<section class="panel" aria-labelledby="events-h">
    <h2 id="events-h">Event timeline</h2>
    ${body}
    <nav class="pager" aria-label="Event pages">
      ${data.eventsCursor ? html`<a href="/ui/connections/${c.id}#events-h">Newest events</a>` : ''}
      ${data.events?.next_cursor ? html`<a rel="next" href="/ui/connections/${c.id}${query({ events_cursor: data.events.next_cursor })}#events-h">Older events →</a>` : ''}
    </nav>
  </section>`;
}

/** The action forms, for a session whose key holds connections:write. */
function actions(data: ConnectionData): Safe {
  const c = data.connection;
  return html`<section class="panel" aria-labelledby="actions-h">
        <h2 id="actions-h">Actions</h2>
        <div class="actions">
          ${actionButton(`/ui/connections/${c.id}/refresh`, data.csrf, 'Force a refresh now', { describedBy: 'refresh-help' })}
          <form class="inline" method="post" action="/ui/connections/${c.id}/reconnect-link" data-reconnect="/v1/connections/${c.id}/reconnect-link">
            ${csrfField(data.csrf)}<button type="submit" class="secondary" aria-describedby="reconnect-help">Copy a fresh reconnect link</button>
          </form>
        </div>
        <p id="refresh-help" class="muted">A forced refresh ignores any backoff and calls the provider once; a dead grant that recovers becomes active.</p>
        <p id="reconnect-help" class="muted">The link lets the end user re-authorize this connection in place (signed, valid for a limited time).</p>
        <div class="reconnect"${data.reconnect ? '' : html` hidden`}>
          <label for="reconnect-url">Reconnect link</label>
          <input id="reconnect-url" type="text" readonly value="${data.reconnect?.url ?? ''}">
          <button type="button" class="secondary" data-copy="reconnect-url" data-status="reconnect-status" hidden>Copy</button>
          ${data.reconnect ? html`<p class="muted">Valid until ${time(data.reconnect.expires_at)}.</p>` : ''}
        </div>
        <p id="reconnect-status" role="status" aria-live="polite"></p>
      </section>`;
}

function readOnlyActions(): Safe {
  return html`<section class="panel" aria-labelledby="actions-h">
    <h2 id="actions-h">Actions</h2>
    <p id="read-only" class="muted">Read-only: the API key of this session has no <code>connections:write</code> scope, so it cannot force a refresh or create a reconnect link.</p>
  </section>`;
}

export function connectionPage(data: ConnectionData): string {
  const c = data.connection;
  const account = c.provider_account;
  const lastError = c.last_error;
  return page({
    title: `Connection ${c.end_user.id}`,
    section: 'connections',
    csrf: data.csrf,
    permissions: data.permissions,
    body: html`<p><a href="/ui/connections">← All connections</a></p>
      <h1>${c.end_user.id} <span class="muted">on</span> ${c.integration}</h1>
      <p>Status: <span id="connection-status">${badge(c.status)}</span> · generation ${c.generation} · <code>${c.id}</code></p>
      ${notice(data.message)}
      ${diagnosisCard(c.diagnosis)}
      ${data.permissions?.writeConnections === false ? readOnlyActions() : actions(data)}
      <section class="panel" aria-labelledby="error-h">
        <h2 id="error-h">Last error</h2>
        ${lastError
          ? html`<dl class="facts">
              <dt>At</dt><dd>${time(lastError.at)}</dd>
              <dt>HTTP status</dt><dd>${lastError.http_status ?? '—'}</dd>
              <dt>Error</dt><dd><code>${lastError.error ?? '—'}</code></dd>
              <dt>Description</dt><dd>${lastError.error_description ?? '—'}</dd>
            </dl>`
          : html`<p>None.</p>`}
      </section>
      <section class="panel" aria-labelledby="account-h">
        <h2 id="account-h">Provider account</h2>
        <dl class="facts">
          <dt>Grant type</dt><dd><code data-grant-type>${c.grant_type}</code></dd>
          ${c.subject ? html`<dt>Subject</dt><dd>${c.subject}</dd>` : ''}
          <dt>Instance URL</dt><dd>${account.instance_url ?? '—'}</dd>
          <dt>Org id</dt><dd><code>${account.org_id ?? '—'}</code></dd>
          <dt>User id</dt><dd><code>${account.user_id ?? '—'}</code></dd>
          <dt>Identity URL</dt><dd>${account.id_url ?? '—'}</dd>
          <dt>Connection config</dt><dd id="connection-config">${configText(c.connection_config)}</dd>
          <dt>End user email</dt><dd>${c.end_user.email ?? '—'}</dd>
          <dt>External id</dt><dd id="external-id">${c.external_id ? html`<code>${c.external_id}</code>` : '—'}</dd>
          <dt>Scopes</dt><dd>${c.scopes.join(' ') || '—'}</dd>
          <dt>Access token expires</dt><dd>${time(c.access_token_expires_at)}</dd>
          <dt>Last refreshed</dt><dd>${time(c.last_refreshed_at)}</dd>
          <dt>Next scheduled refresh</dt><dd>${time(c.next_refresh_at)}</dd>
          <dt>Consecutive failures</dt><dd>${c.consecutive_failures}</dd>
          <dt>Created</dt><dd>${time(c.created_at)}</dd>
        </dl>
      </section>
      ${timeline(data)}`,
  });
}
