// The audit log: who did what, to what, when and from where, newest first, with filters and
// keyset pages, and a link to the NDJSON export of the same filters.
import type { AuditEvent } from '../../api/audit-schemas.js';
import type { Page } from '../../api/schemas.js';
import { AUDIT_ACTIONS } from '../../domain/audit.js';
import { html, query, time, type Safe } from '../html.js';
import { notice, page, type Permissions } from '../layout.js';

/** The filters as typed in the form (times as the browser's `datetime-local`, read as UTC). */
export interface AuditFiltersInput {
  actor?: string;
  action?: string;
  connection?: string;
  from?: string;
  to?: string;
}

export interface AuditData {
  csrf: string;
  permissions: Permissions;
  filters: AuditFiltersInput;
  cursor: string | null;
  result: Page<AuditEvent> | null;
  /** The query string of the export link (the filters in the API's terms). */
  exportQuery: string;
  error: string | null;
}

const FAMILIES = [...new Set(AUDIT_ACTIONS.map((a) => a.split('.')[0]!))];
const ACTOR_TYPES: Record<string, string> = { api_key: 'API key', dashboard: 'Dashboard', cli: 'CLI', system: 'Grantkeeper' };

function actor(e: AuditEvent): Safe {
  const who = e.actor.name ?? e.actor.id;
  return html`<strong>${ACTOR_TYPES[e.actor.type] ?? e.actor.type}</strong>${who ? html`<br><span class="muted">${who}</span>` : ''}${e.actor.id && e.actor.name ? html` <span class="muted mono">${e.actor.id}</span>` : ''}`;
}

function target(e: AuditEvent): Safe {
  if (!e.target) return html`<span class="muted">—</span>`;
  const id = e.target.type === 'connection' && /^conn_[0-9a-f]{32}$/.test(e.target.id)
    ? html`<a class="mono" href="/ui/connections/${e.target.id}">${e.target.id}</a>`
    : html`<code>${e.target.id}</code>`;
  return html`<span class="muted">${e.target.type.replace(/_/g, ' ')}</span><br>${id}`;
}

function detail(e: AuditEvent): Safe {
  if (!e.detail) return html``;
  const parts = Object.entries(e.detail).map(([k, v]) => html`<span class="muted">${k}:</span> ${Array.isArray(v) ? v.join(', ') : String(v)}`);
  return html`<br>${parts.map((p, i) => html`${i > 0 ? '; ' : ''}${p}`)}`;
}

function filtersForm(f: AuditFiltersInput): Safe {
  const option = (value: string, label: string) => html`<option value="${value}"${value === f.action ? html` selected` : ''}>${label}</option>`;
  return html`<form class="filters" method="get" action="/ui/audit" role="search" aria-label="Filter the audit log">
    <div class="field"><label for="a-action">Action</label>
      <select id="a-action" name="action"><option value="">All</option>
        <optgroup label="Families">${FAMILIES.map((family) => option(`${family}.*`, `${family}.*`))}</optgroup>
        <optgroup label="Actions">${AUDIT_ACTIONS.map((a) => option(a, a))}</optgroup>
      </select></div>
    <div class="field"><label for="a-actor">Actor</label>
      <input id="a-actor" type="search" name="actor" value="${f.actor ?? ''}" maxlength="128" spellcheck="false" placeholder="key id or system, cli…"></div>
    <div class="field"><label for="a-connection">Connection</label>
      <input id="a-connection" type="search" name="connection" value="${f.connection ?? ''}" maxlength="64" spellcheck="false" placeholder="conn_…"></div>
    <div class="field"><label for="a-from">From (UTC)</label>
      <input id="a-from" type="datetime-local" step="1" name="from" value="${f.from ?? ''}"></div>
    <div class="field"><label for="a-to">To (UTC)</label>
      <input id="a-to" type="datetime-local" step="1" name="to" value="${f.to ?? ''}"></div>
    <button type="submit">Filter</button>
    <a class="button secondary" href="/ui/audit">Clear</a>
  </form>`;
}

export function auditPage(data: AuditData): string {
  const f = data.filters;
  const rows = data.result?.data ?? [];
  const table = rows.length === 0
    ? html`<p role="status">No audit events match these filters.</p>`
    : html`<div class="table-wrap"><table class="responsive" id="audit-table">
      <caption class="sr-only">Audit events, newest first${data.cursor ? ' (a later page)' : ''}</caption>
      <thead><tr><th scope="col">When</th><th scope="col">Actor</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col">Address</th><th scope="col" class="num">Count</th></tr></thead>
      <tbody>${rows.map(
        (e) => html`<tr data-audit-event="${e.id}" data-action="${e.action}">
          <td data-label="When">${time(e.at)}</td>
          <td data-label="Actor">${actor(e)}</td>
          <td data-label="Action"><code>${e.action}</code>${detail(e)}</td>
          <td data-label="Target">${target(e)}</td>
          <td data-label="Address">${e.ip ? html`<span class="mono">${e.ip}</span>` : html`<span class="muted">—</span>`}</td>
          <td data-label="Count" class="num">${e.count}</td>
        </tr>`,
      )}</tbody></table></div>`;
  const next = data.result?.next_cursor;
  return page({
    title: 'Audit log',
    section: 'audit',
    csrf: data.csrf,
    permissions: data.permissions,
    body: html`<h1>Audit log</h1>
      <p class="muted">Who did what, to what, when and from where. Token reads are counted per actor, connection, address and minute.</p>
      ${notice(data.error ? { text: data.error, error: true } : null)}
      ${filtersForm(f)}
      ${table}
      <nav class="pager" aria-label="Pages">
        ${data.cursor ? html`<a href="/ui/audit${query({ ...f })}">First page</a>` : ''}
        ${next ? html`<a rel="next" href="/ui/audit${query({ ...f, cursor: next })}">Next page →</a>` : ''}
        ${data.result ? html`<a href="/v1/audit-events/export${data.exportQuery}" download>Export these events (NDJSON)</a>` : ''}
      </nav>`,
  });
}
