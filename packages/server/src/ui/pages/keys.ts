// API keys (admin sessions): every key with its scopes, limits, expiry and last use; a form
// to create one (its secret shown once, in the answer to that form, never again); revoke.
import type { ApiKey, ApiKeyCreated } from '../../api/api-key-schemas.js';
import { SCOPES } from '../../domain/access.js';
import { html, time, type Safe } from '../html.js';
import { actionButton, csrfField, notice, page, type Permissions } from '../layout.js';

export interface KeyFormValues {
  name: string;
  scopes: string[];
  integrations: string;
  expires_on: string;
}

export interface KeysData {
  csrf: string;
  permissions: Permissions;
  /** The key of the session looking at the page. */
  sessionKeyId: string;
  keys: ApiKey[] | null;
  message: { text: string; error?: boolean } | null;
  /** Just created: shown once, in this answer only. */
  created: ApiKeyCreated | null;
  form: KeyFormValues;
  errors: string[];
}

const SCOPE_HELP: Record<string, string> = {
  'tokens:read': 'access tokens (GET …/token, POST …/refresh) and the proxy',
  proxy: 'the proxy only, never a raw token',
  'connections:read': 'connections, events, integrations, stats, spikes, providers',
  'connections:write': 'import, update and delete connections, connect sessions, reconnect links (and read)',
  'integrations:write': 'create, update and delete integrations',
  'webhooks:write': 'webhook endpoints and deliveries',
  admin: 'everything, API keys included',
};

function createdPanel(created: ApiKeyCreated): Safe {
  return html`<section class="panel secret" aria-labelledby="new-key-h" id="new-key">
    <h2 id="new-key-h">New key: ${created.name}</h2>
    <p role="alert" class="notice">Copy the key now: it is shown only this once, and Grantkeeper keeps only its hash.</p>
    <label for="new-key-secret">Secret key</label>
    <input id="new-key-secret" type="text" readonly value="${created.secret}" autocomplete="off" spellcheck="false">
    <button type="button" class="secondary" data-copy="new-key-secret" data-status="new-key-status" hidden>Copy</button>
    <p id="new-key-status" role="status" aria-live="polite"></p>
  </section>`;
}

function keysTable(data: KeysData): Safe {
  if (!data.keys) return html`<p class="notice error" role="alert">The API keys could not be read.</p>`;
  return html`<div class="table-wrap"><table class="responsive" id="keys-table">
    <thead><tr><th scope="col">Name</th><th scope="col">Scopes</th><th scope="col">Integrations</th><th scope="col">Expires</th><th scope="col">Last used</th><th scope="col">Action</th></tr></thead>
    <tbody>${data.keys.map(
      (k) => html`<tr data-key="${k.id}">
        <td data-label="Name"><strong>${k.name}</strong>${k.id === data.sessionKeyId ? html` <span class="badge">this session</span>` : ''}<br><span class="muted mono">${k.id}</span></td>
        <td data-label="Scopes">${k.scopes.join(', ')}</td>
        <td data-label="Integrations">${k.integrations ? k.integrations.join(', ') : html`<span class="muted">all</span>`}</td>
        <td data-label="Expires">${k.expires_at ? time(k.expires_at) : html`<span class="muted">never</span>`}</td>
        <td data-label="Last used">${k.source === 'environment' ? html`<span class="muted">not recorded</span>` : time(k.last_used_at)}</td>
        <td data-label="Action">${k.source === 'environment'
          ? html`<span class="muted">set in GRANTKEEPER_SECRET_KEY</span>`
          : actionButton(`/ui/keys/${k.id}/revoke`, data.csrf, html`Revoke<span class="sr-only"> ${k.name}</span>`, { secondary: true })}</td>
      </tr>`,
    )}</tbody></table></div>`;
}

function createForm(data: KeysData): Safe {
  const f = data.form;
  return html`<form class="stack" method="post" action="/ui/keys" aria-labelledby="create-h">
    ${csrfField(data.csrf)}
    ${data.errors.length > 0 ? html`<div class="notice error" role="alert"><p>The key was not created:</p><ul>${data.errors.map((e) => html`<li>${e}</li>`)}</ul></div>` : ''}
    <label for="key-name">Name</label>
    <input id="key-name" name="name" type="text" required maxlength="100" value="${f.name}" aria-describedby="key-name-help">
    <p id="key-name-help" class="muted">Who or what will use the key, e.g. "billing service".</p>
    <fieldset><legend>Scopes</legend>
      ${SCOPES.map((s) => html`<div class="choice"><input type="checkbox" id="scope-${s.replace(':', '-')}" name="scope_${s}" value="on"${f.scopes.includes(s) ? html` checked` : ''}>
        <label for="scope-${s.replace(':', '-')}"><code>${s}</code> <span class="muted">— ${SCOPE_HELP[s] ?? ''}</span></label></div>`)}
    </fieldset>
    <label for="key-integrations">Only these integrations <span class="muted">(optional, comma-separated keys)</span></label>
    <input id="key-integrations" name="integrations" type="text" value="${f.integrations}" aria-describedby="key-integrations-help">
    <p id="key-integrations-help" class="muted">Empty: every integration. A limited key sees nothing of the others, and cannot hold admin or webhooks:write.</p>
    <label for="key-expires">Expires at the end of <span class="muted">(optional, UTC)</span></label>
    <input id="key-expires" name="expires_on" type="date" value="${f.expires_on}">
    <button type="submit">Create key</button>
  </form>`;
}

export function keysPage(data: KeysData): string {
  return page({
    title: 'API keys',
    section: 'keys',
    csrf: data.csrf,
    permissions: data.permissions,
    body: html`<h1>API keys</h1>
      ${notice(data.message)}
      ${data.created ? createdPanel(data.created) : ''}
      <section class="panel" aria-labelledby="keys-h"><h2 id="keys-h">Keys</h2>${keysTable(data)}</section>
      <section class="panel" aria-labelledby="create-h"><h2 id="create-h">Create a key</h2>${createForm(data)}</section>`,
  });
}
