// Overview: connections by status, refreshes over time, integrations' health, active spikes.
import type { ConnectionCounts, RefreshSeries, Spike } from '../../api/schemas.js';
import { chartLegend, chartTotals, refreshChart, OUTCOME_STYLES } from '../chart.js';
import { html, query, time, type Safe } from '../html.js';
import { badge, page, statusLabel, type Permissions } from '../layout.js';

export const WINDOWS = {
  '1h': { label: '1 hour', ms: 3_600_000, bucket: 'minute' },
  '24h': { label: '24 hours', ms: 86_400_000, bucket: 'hour' },
  '7d': { label: '7 days', ms: 7 * 86_400_000, bucket: 'hour' },
} as const;
export type WindowKey = keyof typeof WINDOWS;

const STATUSES = ['active', 'refresh_failing', 'needs_reauth', 'integration_error'] as const;

export interface OverviewData {
  csrf: string;
  permissions?: Permissions;
  window: WindowKey;
  integration: string | null;
  counts: ConnectionCounts | null;
  refreshes: RefreshSeries | null;
  /** The active spikes; null when the spikes API did not answer. */
  spikes: Spike[] | null;
}

function statusCards(counts: ConnectionCounts['counts'], total: number): Safe {
  return html`<ul class="cards">
    <li class="card"><span class="num">${total}</span> connections in all</li>
    ${STATUSES.map(
      (s) => html`<li class="card"><span class="num">${counts[s]}</span> ${badge(s)}
        <a href="/ui/connections${query({ status: s })}">List<span class="sr-only"> ${statusLabel(s)} connections</span></a></li>`,
    )}
  </ul>`;
}

function chartSection(data: OverviewData): Safe {
  const integrations = (data.counts?.integrations ?? []).map((i) => i.integration);
  const windowLinks = (Object.keys(WINDOWS) as WindowKey[]).map(
    (w) =>
      html`<li><a href="/ui${query({ window: w, integration: data.integration })}"${w === data.window ? html` aria-current="true"` : ''}>${WINDOWS[w].label}</a></li>`,
  );
  const scope = data.integration ? `integration ${data.integration}` : 'all integrations';
  let chart: Safe;
  if (!data.refreshes) {
    chart = html`<p class="notice error" role="alert">Refresh statistics are unavailable right now.</p>`;
  } else {
    const totals = chartTotals(data.refreshes.series);
    chart = html`${refreshChart(data.refreshes.series, { bucket: data.refreshes.bucket, title: `Refreshes per ${data.refreshes.bucket}, ${scope}, last ${WINDOWS[data.window].label}`, id: 'refchart' })}
      ${chartLegend('refchart')}
      <p id="chart-totals">Totals over the window: ${OUTCOME_STYLES.map((s, i) => html`${i > 0 ? ', ' : ''}<strong data-outcome="${s.key}">${totals[s.key]}</strong> ${s.label.toLowerCase()}`)}.</p>
      <details><summary>Show the numbers as a table</summary>
        <div class="table-wrap"><table>
          <caption class="sr-only">Refresh outcomes per ${data.refreshes.bucket}</caption>
          <thead><tr><th scope="col">Bucket (UTC)</th>${OUTCOME_STYLES.map((s) => html`<th scope="col" class="num">${s.label}</th>`)}</tr></thead>
          <tbody>${data.refreshes.series
            .filter((p) => p.success + p.transient_error + p.permanent_error + p.unknown > 0)
            .map((p) => html`<tr><td>${time(p.at)}</td>${OUTCOME_STYLES.map((s) => html`<td class="num">${p[s.key]}</td>`)}</tr>`)}</tbody>
        </table></div>
        <p class="muted">Buckets without refreshes are left out of the table.</p>
      </details>`;
  }
  return html`<section class="panel" aria-labelledby="refreshes-h">
    <h2 id="refreshes-h">Refreshes and failures over time</h2>
    <div class="actions">
      <nav aria-label="Chart window"><ul class="segmented">${windowLinks}</ul></nav>
      <form class="filters" method="get" action="/ui">
        <input type="hidden" name="window" value="${data.window}">
        <div class="field"><label for="chart-integration">Integration</label>
          <select id="chart-integration" name="integration">
            <option value="">All integrations</option>
            ${integrations.map((k) => html`<option value="${k}"${k === data.integration ? html` selected` : ''}>${k}</option>`)}
          </select></div>
        <button type="submit" class="secondary">Show</button>
      </form>
    </div>
    ${chart}
  </section>`;
}

function integrationsSection(data: OverviewData): Safe {
  const rows = data.counts?.integrations ?? [];
  if (rows.length === 0) return html`<section class="panel"><h2>Integrations</h2><p>No integrations yet. Create one with <code>POST /v1/integrations</code>.</p></section>`;
  return html`<section class="panel" aria-labelledby="integrations-h">
    <h2 id="integrations-h">Integrations' health</h2>
    <div class="table-wrap"><table class="responsive">
      <thead><tr><th scope="col">Integration</th><th scope="col">Provider</th><th scope="col">Status</th><th scope="col">Last error</th>
        ${STATUSES.map((s) => html`<th scope="col" class="num">${statusLabel(s)}</th>`)}</tr></thead>
      <tbody>${rows.map(
        (i) => html`<tr>
          <td data-label="Integration"><a href="/ui/integrations/${encodeURIComponent(i.integration)}">${i.integration}</a></td>
          <td data-label="Provider">${i.provider}</td>
          <td data-label="Status">${badge(i.status)}</td>
          <td data-label="Last error">${i.last_error ? html`<code>${i.last_error.error ?? i.last_error.http_status ?? 'error'}</code> ${i.last_error.error_description ?? ''}` : html`<span class="muted">none</span>`}</td>
          ${STATUSES.map((s) => html`<td data-label="${statusLabel(s)}" class="num"><a href="/ui/connections${query({ integration: i.integration, status: s })}">${i.counts[s]}</a></td>`)}
        </tr>`,
      )}</tbody>
    </table></div>
  </section>`;
}

function spikesSection(data: OverviewData): Safe {
  let content: Safe;
  if (!data.spikes) content = html`<p class="muted">Spike data is not available from this server.</p>`;
  else if (data.spikes.length === 0) content = html`<p>No active failure spikes.</p>`;
  else {
    content = html`<div class="table-wrap"><table class="responsive">
      <thead><tr><th scope="col">Integration</th><th scope="col">Org</th><th scope="col" class="num">Failures</th><th scope="col" class="num">Connections</th><th scope="col">Started</th><th scope="col">Last seen</th><th scope="col">Diagnosis</th></tr></thead>
      <tbody id="spikes">${data.spikes.map(
        (s) => html`<tr>
          <td data-label="Integration">${s.integration}</td>
          <td data-label="Org">${s.org_id ? html`<a href="/ui/connections${query({ org_id: s.org_id, integration: s.integration })}">${s.org_id}</a>` : html`<span class="muted">whole integration</span>`}</td>
          <td data-label="Failures" class="num">${s.count}</td>
          <td data-label="Connections" class="num">${s.connection_ids.length}</td>
          <td data-label="Started">${time(s.started_at)}</td>
          <td data-label="Last seen">${time(s.last_seen_at)}</td>
          <td data-label="Diagnosis">${s.diagnosis_code ? html`<code>${s.diagnosis_code}</code>` : html`<span class="muted">—</span>`}</td>
        </tr>`,
      )}</tbody></table></div>`;
  }
  return html`<section class="panel" aria-labelledby="spikes-h"><h2 id="spikes-h">Active failure spikes</h2>${content}</section>`;
}

export function overviewPage(data: OverviewData): string {
  return page({
    title: 'Overview',
    section: 'overview',
    csrf: data.csrf,
    permissions: data.permissions,
    body: html`<h1>Overview</h1>
      <section aria-labelledby="status-h"><h2 id="status-h">Connections by status</h2>
        ${data.counts ? statusCards(data.counts.counts, data.counts.total) : html`<p class="notice error" role="alert">Connection counts are unavailable right now.</p>`}
      </section>
      ${chartSection(data)}
      ${integrationsSection(data)}
      ${spikesSection(data)}`,
  });
}
