// Connections: filters (integration, status, the provider org, end user), keyset pages.
import type { Connection, Page } from '../../api/schemas.js';
import { html, query, time } from '../html.js';
import { badge, notice, page, statusLabel, type Permissions } from '../layout.js';

export interface ConnectionFiltersInput {
  integration?: string;
  status?: string;
  org_id?: string;
  end_user_id?: string;
}

export interface ConnectionsData {
  csrf: string;
  permissions?: Permissions;
  filters: ConnectionFiltersInput;
  integrations: string[];
  cursor: string | null;
  result: Page<Connection> | null;
  error: string | null;
}

const STATUSES = ['active', 'refresh_failing', 'needs_reauth', 'integration_error'];

export function connectionsPage(data: ConnectionsData): string {
  const f = data.filters;
  const rows = data.result?.data ?? [];
  const table = rows.length === 0
    ? html`<p role="status">No connections match these filters.</p>`
    : html`<div class="table-wrap"><table class="responsive" id="connections-table">
      <caption class="sr-only">Connections${data.cursor ? ' (a later page)' : ''}</caption>
      <thead><tr><th scope="col">End user</th><th scope="col">Integration</th><th scope="col">Status</th><th scope="col">Org</th>
        <th scope="col">Last refreshed</th><th scope="col" class="num">Failures</th><th scope="col">Last error</th></tr></thead>
      <tbody>${rows.map(
        (c) => html`<tr data-connection="${c.id}">
          <td data-label="End user"><a href="/ui/connections/${c.id}">${c.end_user.id}</a>${c.end_user.email ? html`<br><span class="muted">${c.end_user.email}</span>` : ''}</td>
          <td data-label="Integration">${c.integration}</td>
          <td data-label="Status">${badge(c.status)}</td>
          <td data-label="Org">${c.provider_account.org_id ? html`<code>${c.provider_account.org_id}</code>` : html`<span class="muted">—</span>`}</td>
          <td data-label="Last refreshed">${time(c.last_refreshed_at)}</td>
          <td data-label="Failures" class="num">${c.consecutive_failures}</td>
          <td data-label="Last error">${c.last_error ? html`<code>${c.last_error.error ?? c.last_error.http_status}</code>` : html`<span class="muted">none</span>`}</td>
        </tr>`,
      )}</tbody></table></div>`;
  const next = data.result?.next_cursor;
  return page({
    title: 'Connections',
    section: 'connections',
    csrf: data.csrf,
    permissions: data.permissions,
    body: html`<h1>Connections</h1>
      ${notice(data.error ? { text: data.error, error: true } : null)}
      <form class="filters" method="get" action="/ui/connections" role="search" aria-label="Filter connections">
        <div class="field"><label for="f-integration">Integration</label>
          <select id="f-integration" name="integration"><option value="">All</option>
            ${data.integrations.map((k) => html`<option value="${k}"${k === f.integration ? html` selected` : ''}>${k}</option>`)}
          </select></div>
        <div class="field"><label for="f-status">Status</label>
          <select id="f-status" name="status"><option value="">All</option>
            ${STATUSES.map((s) => html`<option value="${s}"${s === f.status ? html` selected` : ''}>${statusLabel(s)}</option>`)}
          </select></div>
        <div class="field"><label for="f-org">Org id</label>
          <input id="f-org" type="text" name="org_id" value="${f.org_id ?? ''}" maxlength="18" pattern="[A-Za-z0-9]{15,18}" title="15 or 18 characters" spellcheck="false"></div>
        <div class="field"><label for="f-user">End user id</label>
          <input id="f-user" type="search" name="end_user_id" value="${f.end_user_id ?? ''}" maxlength="256" spellcheck="false"></div>
        <button type="submit">Filter</button>
        <a class="button secondary" href="/ui/connections">Clear</a>
      </form>
      ${table}
      <nav class="pager" aria-label="Pages">
        ${data.cursor ? html`<a href="/ui/connections${query({ ...f })}">First page</a>` : ''}
        ${next ? html`<a rel="next" href="/ui/connections${query({ ...f, cursor: next })}">Next page →</a>` : ''}
      </nav>`,
  });
}
