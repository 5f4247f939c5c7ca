// The page frame every dashboard page shares, and the small pieces pages reuse.
import { html, type Renderable, type Safe } from './html.js';

export type Section = 'overview' | 'integrations' | 'connections' | 'webhooks' | 'keys' | 'audit' | null;

/** What the session's API key allows on the dashboard (its scopes): a read-only key gets no action forms. */
export interface Permissions {
  /** connections:write — force a refresh, a fresh reconnect link. */
  writeConnections: boolean;
  /** webhooks:write — the webhooks page and its actions. */
  manageWebhooks: boolean;
  /** admin — the API keys page. */
  manageKeys: boolean;
  /** integrations:write — new integrations (the provider picker). */
  manageIntegrations: boolean;
}

export interface PageOptions {
  title: string;
  section: Section;
  /** null on the login page (no session yet). */
  csrf: string | null;
  /** The session's permissions (which sections the menu offers). */
  permissions?: Permissions;
  body: Renderable;
}

export function page(options: PageOptions): string {
  const nav = (section: Exclude<Section, null>, href: string, label: string) =>
    html`<li><a href="${href}"${options.section === section ? html` aria-current="page"` : ''}>${label}</a></li>`;
  const header = options.csrf
    ? html`<header class="top">
        <a class="brand" href="/ui">Grantkeeper</a>
        <nav class="main" aria-label="Main"><ul>
          ${nav('overview', '/ui', 'Overview')}${nav('integrations', '/ui/integrations', 'Integrations')}${nav('connections', '/ui/connections', 'Connections')}${options.permissions?.manageWebhooks === false ? '' : nav('webhooks', '/ui/webhooks', 'Webhooks')}${options.permissions?.manageKeys ? nav('keys', '/ui/keys', 'API keys') : ''}${options.permissions?.manageKeys ? nav('audit', '/ui/audit', 'Audit log') : ''}
          <li><a href="/docs">API reference</a></li>
        </ul></nav>
        <form method="post" action="/ui/logout"><input type="hidden" name="_csrf" value="${options.csrf}"><button class="secondary" type="submit">Log out</button></form>
      </header>`
    : html`<header class="top"><span class="brand">Grantkeeper</span></header>`;
  return `<!doctype html>${html`<html lang="en"><head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/ui/assets/icon.svg" type="image/svg+xml">
${options.csrf ? html`<meta name="gk-csrf" content="${options.csrf}">` : ''}
<title>${options.title} · Grantkeeper</title>
<link rel="stylesheet" href="/ui/assets/app.css">
<script src="/ui/assets/app.js" defer></script>
</head><body>
<a class="skip" href="#main">Skip to content</a>
${header}
<main id="main" tabindex="-1">${options.body}</main>
</body></html>`.value}`;
}

const STATUS_TEXT: Record<string, { icon: string; label: string }> = {
  active: { icon: '✓', label: 'Active' },
  refresh_failing: { icon: '⚠', label: 'Refresh failing' },
  needs_reauth: { icon: '✕', label: 'Needs re-auth' },
  integration_error: { icon: '⊘', label: 'Integration error' },
  ok: { icon: '✓', label: 'OK' },
  error: { icon: '⊘', label: 'Error' },
  success: { icon: '✓', label: 'Success' },
  transient_error: { icon: '⚠', label: 'Transient error' },
  permanent_error: { icon: '✕', label: 'Permanent error' },
  unknown: { icon: '?', label: 'Unknown' },
  in_flight: { icon: '…', label: 'In flight' },
  pending: { icon: '…', label: 'Pending' },
  delivered: { icon: '✓', label: 'Delivered' },
  failed: { icon: '✕', label: 'Failed' },
  enabled: { icon: '✓', label: 'Enabled' },
  disabled: { icon: '○', label: 'Disabled' },
};

/** Status as an icon plus words (never colour alone). */
export function badge(status: string | null | undefined): Safe {
  if (!status) return html`<span class="muted">—</span>`;
  const known = STATUS_TEXT[status] ?? { icon: '•', label: status };
  const cls = /^[a-z_]+$/.test(status) ? `badge s-${status}` : 'badge';
  return html`<span class="${cls}"><span aria-hidden="true">${known.icon}</span> ${known.label}</span>`;
}

export function statusLabel(status: string): string {
  return STATUS_TEXT[status]?.label ?? status;
}

const WHO_FIXES: Record<string, string> = {
  end_user: 'The end user — they must reconnect (send them the reconnect link).',
  org_admin: "The customer's org admin — a setting in their provider org blocks this grant; Grantkeeper re-probes it.",
  developer: 'The developer — your integration or its configuration must change.',
  nobody_transient: 'Nobody — the trouble is transient and Grantkeeper keeps retrying.',
};

export function whoFixesText(who: string): string {
  return WHO_FIXES[who] ?? who;
}

const WHO_FIXES_SHORT: Record<string, string> = {
  end_user: 'End user (reconnect)',
  org_admin: 'Org admin',
  developer: 'Developer',
  nobody_transient: 'Nobody (transient)',
};

/** Who must act, in a table cell's few words. */
export function whoFixesLabel(who: string): string {
  return WHO_FIXES_SHORT[who] ?? who;
}

export function notice(message: { text: string; error?: boolean } | null): Safe {
  if (!message) return html``;
  return html`<div class="notice${message.error ? ' error' : ''}" role="${message.error ? 'alert' : 'status'}">${message.text}</div>`;
}

export function csrfField(csrf: string): Safe {
  return html`<input type="hidden" name="_csrf" value="${csrf}">`;
}

/** A form with one button that posts an action (works without JavaScript). */
export function actionButton(action: string, csrf: string, label: Renderable, options: { secondary?: boolean; fields?: Record<string, string>; describedBy?: string } = {}): Safe {
  const fields = Object.entries(options.fields ?? {}).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`);
  return html`<form class="inline" method="post" action="${action}">${csrfField(csrf)}${fields}<button type="submit"${options.secondary ? html` class="secondary"` : ''}${options.describedBy ? html` aria-describedby="${options.describedBy}"` : ''}>${label}</button></form>`;
}
