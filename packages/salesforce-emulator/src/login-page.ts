import { escapeHtml } from './http.js';
import type { AppRecord, PendingAuthorization, UserRecord } from './state.js';

/**
 * The login-and-approve page a person sees at /services/oauth2/authorize: pick a
 * user, then Allow or Deny. One page stands for Salesforce's login and consent
 * screens; there are no passwords in the emulator.
 */
export function renderLoginPage(options: {
  app: AppRecord;
  pending: PendingAuthorization;
  users: UserRecord[];
  orgNames: Map<string, string>;
  message?: string;
}): string {
  const { app, pending, users, orgNames, message } = options;
  const hint = pending.loginHint?.toLowerCase();
  const userOptions = users
    .map((u) => {
      const selected = u.username.toLowerCase() === hint ? ' selected' : '';
      const label = `${u.username} (${orgNames.get(u.orgId) ?? u.orgId})${u.active ? '' : ' — inactive'}`;
      return `<option value="${escapeHtml(u.username)}"${selected}>${escapeHtml(label)}</option>`;
    })
    .join('\n          ');
  const scopes = pending.scope
    .split(' ')
    .filter(Boolean)
    .map((s) => `<li>${escapeHtml(s)}</li>`)
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Login | Salesforce Emulator</title>
  <style>
    body { font-family: system-ui, sans-serif; background: #f3f3f3; margin: 0; }
    main { max-width: 26rem; margin: 4rem auto; background: #fff; border-radius: .5rem; padding: 2rem; box-shadow: 0 1px 4px rgba(0,0,0,.15); }
    h1 { font-size: 1.25rem; margin-top: 0; }
    label { display: block; margin: 1rem 0 .25rem; font-weight: 600; }
    select { width: 100%; padding: .5rem; font-size: 1rem; }
    .actions { display: flex; gap: .75rem; margin-top: 1.5rem; }
    button { flex: 1; padding: .6rem; font-size: 1rem; border-radius: .25rem; border: 1px solid #0176d3; cursor: pointer; }
    #allow { background: #0176d3; color: #fff; }
    #deny { background: #fff; color: #0176d3; }
    .message { color: #ba0517; }
    .note { color: #555; font-size: .85rem; }
  </style>
</head>
<body>
  <main>
    <h1>Allow access?</h1>
    <p><strong id="app-name">${escapeHtml(app.name)}</strong> is asking to:</p>
    <ul id="scopes">${scopes}</ul>
    ${message ? `<p class="message" role="alert">${escapeHtml(message)}</p>` : ''}
    <form method="post" action="/services/oauth2/authorize">
      <input type="hidden" name="pending_id" value="${escapeHtml(pending.id)}">
      <label for="username">Log in as</label>
      <select id="username" name="username" required>
          ${userOptions}
      </select>
      <div class="actions">
        <button type="submit" id="deny" name="decision" value="deny">Deny</button>
        <button type="submit" id="allow" name="decision" value="allow">Allow</button>
      </div>
    </form>
    <p class="note">Salesforce emulator — no password needed.</p>
  </main>
</body>
</html>`;
}

/** Errors that cannot go back to the client (unknown app, bad redirect_uri) are shown as a page (docs/salesforce.md). */
export function renderErrorPage(error: string, description: string): string {
  const query = `error=${encodeURIComponent(error)}&error_description=${encodeURIComponent(description)}`;
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Error | Salesforce Emulator</title></head>
<body>
  <h1>Remote Access Application Error</h1>
  <p id="error">${escapeHtml(query)}</p>
</body>
</html>`;
}
