// New integration: a provider picker (a search box and a page of the catalog, plain GET forms
// and links, so it works without JavaScript), then the form for the chosen provider.
import { html, query } from '../html.js';
import { csrfField, notice, page, type Permissions } from '../layout.js';

/** The fields of a GET /v1/providers entry this page shows. */
export interface ProviderSummary {
  key: string;
  name: string;
  category: string;
  docs_url: string;
  refresh_model: string;
  supported: boolean;
  unsupported?: { refresh?: string; connect?: string };
  grant_types: string[];
  tokens: { rotation: { rotates: string | null } };
  template_variables: Record<string, { description: string; from: string; kind: string; default?: string }>;
  integration_defaults: { scopes: string[] };
}

export interface NewIntegrationForm {
  key: string;
  client_id: string;
  scopes: string;
  auth_base_url: string;
}

export interface NewIntegrationData {
  csrf: string;
  permissions: Permissions;
  q: string;
  /** The page of matching providers; null when the catalog could not be read. */
  providers: { data: ProviderSummary[]; next_cursor: string | null } | null;
  chosen: ProviderSummary | null;
  form: NewIntegrationForm;
  errors: string[];
}

const rotationText = (p: ProviderSummary) => (p.refresh_model === 'none' ? 'no refresh tokens' : (p.tokens.rotation.rotates ?? 'unknown'));

function pickerList(data: NewIntegrationData) {
  if (!data.providers) return notice({ text: 'The provider catalog could not be read right now.', error: true });
  if (data.providers.data.length === 0) return html`<p role="status">No provider matches “${data.q}”. Any other OAuth 2.0 provider works as <code>oauth2</code> through <code>POST /v1/integrations</code>.</p>`;
  const next = data.providers.next_cursor;
  return html`<div class="table-wrap"><table class="responsive" id="providers-table">
    <thead><tr><th scope="col">Provider</th><th scope="col">Key</th><th scope="col">Category</th><th scope="col">Refresh tokens rotate</th><th scope="col"><span class="sr-only">Choose</span></th></tr></thead>
    <tbody>${data.providers.data.map(
      (p) => html`<tr data-provider="${p.key}">
        <td data-label="Provider"><a href="${p.docs_url}" rel="noreferrer">${p.name}</a></td>
        <td data-label="Key"><code>${p.key}</code></td>
        <td data-label="Category">${p.category.replaceAll('_', ' ')}</td>
        <td data-label="Rotation">${rotationText(p)}</td>
        <td data-label="Choose">${
          p.supported
            ? html`<a class="button" href="/ui/integrations/new${query({ provider: p.key, q: data.q })}" aria-label="Choose ${p.name}">Choose</a>`
            : html`<span class="muted">Not supported: ${p.unsupported?.refresh ?? 'it issues no refresh tokens'}</span>`
        }</td>
      </tr>`,
    )}</tbody></table></div>
    ${next ? html`<p><a href="/ui/integrations/new${query({ q: data.q, cursor: next })}" rel="next">More providers</a></p>` : ''}`;
}

function createForm(data: NewIntegrationData, p: ProviderSummary) {
  const base = Object.entries(p.template_variables).find(([, v]) => v.from === 'integration' && v.kind === 'base_url');
  const perConnection = Object.entries(p.template_variables).filter(([, v]) => v.from === 'connection_config' && v.kind !== 'host');
  return html`<section aria-labelledby="create-heading">
    <h2 id="create-heading">New ${p.name} integration</h2>
    ${data.errors.length ? html`<div class="notice error" role="alert"><p>The integration was not created:</p><ul>${data.errors.map((e) => html`<li>${e}</li>`)}</ul></div>` : ''}
    ${p.unsupported?.connect ? html`<p class="notice" role="status">Connect links cannot obtain ${p.name} grants yet (${p.unsupported.connect}); import grants with <code>POST /v1/connections</code>.</p>` : ''}
    <form method="post" action="/ui/integrations/new" class="stack">
      ${csrfField(data.csrf)}<input type="hidden" name="provider" value="${p.key}">
      <label for="f-key">Integration key</label>
      <input id="f-key" name="key" required maxlength="64" pattern="[A-Za-z0-9][A-Za-z0-9._\\-]{0,63}" value="${data.form.key}" aria-describedby="f-key-hint">
      <p id="f-key-hint" class="muted">Letters, digits, dot, dash, underscore; your name for this OAuth app.</p>
      <label for="f-client-id">Client id</label>
      <input id="f-client-id" name="client_id" required maxlength="512" autocomplete="off" value="${data.form.client_id}">
      <label for="f-client-secret">Client secret</label>
      <input id="f-client-secret" name="client_secret" type="password" maxlength="2048" autocomplete="new-password" aria-describedby="f-secret-hint">
      <p id="f-secret-hint" class="muted">Stored encrypted; never shown again.</p>
      <label for="f-scopes">Scopes</label>
      <input id="f-scopes" name="scopes" maxlength="2000" value="${data.form.scopes}" aria-describedby="f-scopes-hint">
      <p id="f-scopes-hint" class="muted">Space-separated; the provider's defaults are filled in.</p>
      ${base ? html`<label for="f-base">Login base URL</label><input id="f-base" name="auth_base_url" maxlength="300" value="${data.form.auth_base_url}" placeholder="${base[1].default ?? ''}">` : ''}
      ${perConnection.length ? html`<p class="muted">Each connection gives ${perConnection.map(([name, v], i) => html`${i ? ', ' : ''}<code>${name}</code> (${v.description})`)} in its <code>connection_config</code>.</p>` : ''}
      <button type="submit">Create integration</button>
    </form>
    <p><a href="/ui/integrations/new${query({ q: data.q })}">Choose another provider</a></p>
  </section>`;
}

export function newIntegrationPage(data: NewIntegrationData): string {
  const body = html`<h1>New integration</h1>
    ${data.chosen
      ? createForm(data, data.chosen)
      : html`<form class="filters" method="get" action="/ui/integrations/new" role="search" aria-label="Provider search">
          <div class="field"><label for="provider-q">Find a provider</label>
          <input id="provider-q" type="search" name="q" maxlength="100" value="${data.q}" placeholder="name, key or category"></div>
          <button type="submit">Search</button>
        </form>
        ${pickerList(data)}`}`;
  return page({ title: 'New integration', section: 'integrations', csrf: data.csrf, permissions: data.permissions, body });
}
