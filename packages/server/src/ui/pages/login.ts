import { html } from '../html.js';
import { notice, page } from '../layout.js';

export function loginPage(error: string | null): string {
  return page({
    title: 'Log in',
    section: null,
    csrf: null,
    body: html`<div class="login panel">
      <h1>Log in to the dashboard</h1>
      ${notice(error ? { text: error, error: true } : null)}
      <form class="stack" method="post" action="/ui/session">
        <label for="key">Secret key <span class="muted">(an API key: a GRANTKEEPER_SECRET_KEY value, or one with the connections:read scope)</span></label>
        <input id="key" name="key" type="password" autocomplete="off" spellcheck="false" required autofocus aria-describedby="key-help">
        <p id="key-help" class="muted">The key is exchanged for a session cookie and never stored by the browser. The dashboard then allows what the key allows.</p>
        <button type="submit">Log in</button>
      </form>
    </div>`,
  });
}
