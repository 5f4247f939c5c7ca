// Integrations: each OAuth app with its provider, health and the callback URL to register.
import type { Integration, Page } from '../../api/schemas.js';
import { html, time } from '../html.js';
import { badge, notice, page, type Permissions } from '../layout.js';

export function integrationsPage(data: { csrf: string; permissions: Permissions; result: Page<Integration> | null }): string {
  const rows = data.result?.data ?? [];
  const table = !data.result
    ? notice({ text: 'The integrations could not be read right now.', error: true })
    : rows.length === 0
      ? html`<p role="status">No integrations yet. Create one here, with <code>POST /v1/integrations</code> or with <code>grantkeeper integrations create</code>.</p>`
      : html`<div class="table-wrap"><table class="responsive" id="integrations-table">
        <thead><tr><th scope="col">Integration</th><th scope="col">Provider</th><th scope="col">Grant</th><th scope="col">Status</th><th scope="col">Callback URL to register</th><th scope="col">Created</th></tr></thead>
        <tbody>${rows.map(
          (i) => html`<tr data-integration="${i.key}">
            <td data-label="Integration"><a href="/ui/integrations/${encodeURIComponent(i.key)}">${i.key}</a></td>
            <td data-label="Provider">${i.provider}</td>
            <td data-label="Grant"><code>${i.grant_type}</code></td>
            <td data-label="Status">${badge(i.status)}</td>
            <td data-label="Callback URL"><code>${i.callback_url}</code></td>
            <td data-label="Created">${time(i.created_at)}</td>
          </tr>`,
        )}</tbody></table></div>`;
  const create = data.permissions.manageIntegrations ? html`<p><a class="button" href="/ui/integrations/new">New integration</a></p>` : '';
  return page({ title: 'Integrations', section: 'integrations', csrf: data.csrf, permissions: data.permissions, body: html`<h1>Integrations</h1>${create}${table}` });
}
