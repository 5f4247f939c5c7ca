// Connections: filters (integration, status, diagnosis, the provider org, end user), keyset
// pages. A failing or dead row shows its diagnosis and who must act, not the provider's
// bare error code (which is `invalid_grant` for most dead grants).
import type { Connection, Page } from '../../api/schemas.js';
import { DIAGNOSIS_RULES } from '../../diagnosis/rules.js';
import { html, query, time, type Safe } from '../html.js';
import { badge, notice, page, statusLabel, whoFixesLabel, type Permissions } from '../layout.js';

export interface ConnectionFiltersInput {
  integration?: string;
  status?: string;
  org_id?: string;
  end_user_id?: string;
  external_id?: string;
  diagnosis?: string;
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
const DIAGNOSIS_CODES = [...new Set(DIAGNOSIS_RULES.map((rule) => rule.code))].sort();

function diagnosisCell(c: Connection): Safe {
  if (c.diagnosis) return html`<code data-diagnosis-code>${c.diagnosis.code}</code>`;
  if (c.last_error) return html`<span class="muted">${c.last_error.error ?? c.last_error.http_status ?? 'error'}</span>`;
  return html`<span class="muted">none</span>`;
}

export function connectionsPage(data: ConnectionsData): string {
  const f = data.filters;
  const rows = data.result?.data ?? [];
  const table = rows.length === 0
    ? html`<p role="status">No connections match these filters.</p>`
    : html`<div class="table-wrap"><table class="responsive" id="connections-table">
      <caption class="sr-only">Connections${data.cursor ? ' (a later page)' : ''}</caption>
      <thead><tr><th scope="col">End user</th><th scope="col">Integration</th><th scope="col">Status</th><th scope="col">Org</th>
        <th scope="col">Diagnosis</th><th scope="col">Who fixes it</th><th scope="col">Last refreshed</th><th scope="col" class="num">Failures</th></tr></thead>
      <tbody>${rows.map(
        (c) => html`<tr data-connection="${c.id}">
          <td data-label="End user"><a href="/ui/connections/${c.id}">${c.end_user.id}</a>${c.end_user.email ? html`<br><span class="muted">${c.end_user.email}</span>` : ''}${c.external_id ? html`<br><span class="muted" data-external-id>external id <code>${c.external_id}</code></span>` : ''}</td>
          <td data-label="Integration">${c.integration}</td>
          <td data-label="Status">${badge(c.status)}</td>
          <td data-label="Org">${c.provider_account.org_id ? html`<code>${c.provider_account.org_id}</code>` : html`<span class="muted">—</span>`}</td>
          <td data-label="Diagnosis">${diagnosisCell(c)}</td>
          <td data-label="Who fixes it"${c.diagnosis ? html` data-who-fixes="${c.diagnosis.who_fixes}"` : ''}>${c.diagnosis ? whoFixesLabel(c.diagnosis.who_fixes) : html`<span class="muted">—</span>`}</td>
          <td data-label="Last refreshed">${time(c.last_refreshed_at)}</td>
          <td data-label="Failures" class="num">${c.consecutive_failures}</td>
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
        <div class="field"><label for="f-diagnosis">Diagnosis</label>
          <select id="f-diagnosis" name="diagnosis"><option value="">Any</option>
            ${DIAGNOSIS_CODES.map((code) => html`<option value="${code}"${code === f.diagnosis ? html` selected` : ''}>${code}</option>`)}
          </select></div>
        <div class="field"><label for="f-org">Org id</label>
          <input id="f-org" type="text" name="org_id" value="${f.org_id ?? ''}" maxlength="18" pattern="[A-Za-z0-9]{15,18}" title="15 or 18 characters" spellcheck="false"></div>
        <div class="field"><label for="f-user">End user id</label>
          <input id="f-user" type="search" name="end_user_id" value="${f.end_user_id ?? ''}" maxlength="256" spellcheck="false"></div>
        <div class="field"><label for="f-external">External id</label>
          <input id="f-external" type="search" name="external_id" value="${f.external_id ?? ''}" maxlength="255" spellcheck="false"></div>
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
