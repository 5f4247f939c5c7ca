// The hosted connect pages: plain, accessible HTML that works without JavaScript. One
// inline stylesheet, allowed by its hash in a strict Content-Security-Policy; everything
// interpolated is escaped.
import { createHash } from 'node:crypto';

export interface HtmlPage {
  status: number;
  html: string;
  headers: Record<string, string>;
}

const STYLE = `
:root { color-scheme: light; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; line-height: 1.5; color: #1b1f24; background: #f4f6f8; }
body { margin: 0; }
main { max-width: 34rem; margin: 2.5rem auto; padding: 1.75rem 1.5rem; background: #fff; border: 1px solid #d0d7de; border-radius: .5rem; }
h1 { font-size: 1.5rem; line-height: 1.25; margin: 0 0 1rem; }
h2 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; }
p, ul, ol { margin: 0 0 1rem; }
form { margin: 0 0 1rem; }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: 0 0 1.25rem; }
.meta dt { font-weight: 600; }
.meta dd { margin: 0; overflow-wrap: anywhere; }
.notice { border-left: 4px solid #bf8700; background: #fff8c5; padding: .75rem 1rem; margin: 0 0 1.25rem; }
.error { border-left-color: #cf222e; background: #ffebe9; }
.ok { border-left-color: #1a7f37; background: #dafbe1; }
button, .button { display: inline-block; font: inherit; font-weight: 600; font-size: 1.05rem; padding: .7rem 1.25rem; border-radius: .375rem; border: 1px solid #0550ae; background: #0969da; color: #fff; cursor: pointer; text-decoration: none; }
button:hover, .button:hover { background: #0550ae; }
button:focus-visible, a:focus-visible { outline: 3px solid #bf8700; outline-offset: 2px; }
a { color: #0550ae; }
.small { font-size: .875rem; color: #57606a; }
@media (max-width: 420px) { main { margin: 0; border: 0; border-radius: 0; padding: 1.25rem 1rem; } button { width: 100%; } .meta { grid-template-columns: 1fr; } .meta dd { margin-bottom: .5rem; } }
`;
const STYLE_HASH = `'sha256-${createHash('sha256').update(STYLE, 'utf8').digest('base64')}'`;

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** CSP sources may not contain spaces, semicolons or commas; origins from URL parsing never do. */
function origin(url: string): string | null {
  try {
    const o = new URL(url).origin;
    return o === 'null' ? null : o;
  } catch {
    return null;
  }
}

/** Security headers of every hosted page. `formTargets`: where its forms (and their redirects) may go. */
export function securityHeaders(formTargets: string[]): Record<string, string> {
  const targets = [...new Set(formTargets.map(origin).filter((o): o is string => o !== null))];
  const formAction = targets.length > 0 ? `'self' ${targets.join(' ')}` : "'none'";
  return {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': `default-src 'none'; style-src ${STYLE_HASH}; img-src 'none'; base-uri 'none'; form-action ${formAction}; frame-ancestors 'none'`,
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
  };
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

export interface StartPageInput {
  integrationKey: string;
  providerName: string;
  endUserEmail: string | null;
  /** Absolute URL of POST /connect/{token}. */
  action: string;
  /** Origins the form's POST and its redirect may reach (Grantkeeper, the provider). */
  formTargets: string[];
  /** The host the flow ends at (the product's return URL); null: it ends on a page of ours. */
  returnTo: string | null;
  expiresAt: Date;
  /**
   * Set for a re-authentication of an existing connection: the diagnosis summary in plain
   * words, and the steps an org admin must take first when the diagnosis says one must.
   */
  reconnect: { summary: string | null; adminSteps: string[] } | null;
  /** Set when a long-lived reconnect link opened the page: it can be opened again until then. */
  linkValidUntil?: Date | null;
}

const time = (at: Date) => `<time datetime="${at.toISOString()}">${escapeHtml(at.toUTCString())}</time>`;

/** What the page promises about its link, truthfully: a connect link works once, a reconnect link until it expires. */
function validity(input: StartPageInput): string {
  if (input.linkValidUntil) {
    return `Your reconnect link stays valid until ${time(input.linkValidUntil)}: if this sign-in does not finish, open the link again.`;
  }
  return `This link works once and expires at ${time(input.expiresAt)}.`;
}

export function startPage(input: StartPageInput): HtmlPage {
  const provider = escapeHtml(input.providerName);
  const reconnect = input.reconnect;
  const heading = reconnect ? `Reconnect your ${provider} account` : `Connect your ${provider} account`;
  const adminSteps = reconnect?.adminSteps ?? [];
  const why = reconnect
    ? reconnect.summary
      ? `<section class="notice" aria-labelledby="why"><h2 id="why">Why you are asked again</h2><p>${escapeHtml(reconnect.summary)}</p>${
          adminSteps.length > 0
            ? `<p>Your ${provider} administrator may need to do this first, or the new connection can fail the same way:</p><ul>${adminSteps
                .map((step) => `<li>${escapeHtml(step)}</li>`)
                .join('')}</ul>`
            : ''
        }</section>`
      : `<p>You are renewing an existing connection. Sign in as the same ${provider} user as before.</p>`
    : '';
  const body = `<h1 id="title">${heading}</h1>
${why}
<dl class="meta">
<dt>Integration</dt><dd>${escapeHtml(input.integrationKey)}</dd>
<dt>Provider</dt><dd>${provider}</dd>
${input.endUserEmail ? `<dt>For</dt><dd>${escapeHtml(input.endUserEmail)}</dd>` : ''}
</dl>
<p>Continue to sign in at ${provider} and allow access. ${
    input.returnTo
      ? `Afterwards you are sent back to ${escapeHtml(input.returnTo)}.`
      : 'Afterwards a page here tells you whether it worked; then you can close the window.'
  }${
    reconnect ? ` Use the same ${provider} user as before: another account is refused and the connection stays as it is.` : ''
  }</p>
<form method="post" action="${escapeHtml(input.action)}" aria-labelledby="title">
<button type="submit" id="continue">Continue to ${provider}</button>
</form>
<p class="small">${validity(input)}</p>`;
  return { status: 200, html: layout(`${reconnect ? 'Reconnect' : 'Connect'} ${input.providerName}`, body), headers: securityHeaders(input.formTargets) };
}

export interface MessagePageInput {
  status: number;
  title: string;
  tone: 'error' | 'ok' | 'notice';
  paragraphs: string[];
  link?: { href: string; text: string };
}

/** "Already used", "expired", "not valid", and the result of a flow without return_url. */
export function messagePage(input: MessagePageInput): HtmlPage {
  const cls = input.tone === 'notice' ? 'notice' : `notice ${input.tone}`;
  const role = input.tone === 'error' ? ' role="alert"' : ' role="status"';
  const body = `<h1>${escapeHtml(input.title)}</h1>
<div class="${cls}"${role}>${input.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('')}</div>
${input.link ? `<p><a class="button" href="${escapeHtml(input.link.href)}">${escapeHtml(input.link.text)}</a></p>` : ''}`;
  return { status: input.status, html: layout(input.title, body), headers: securityHeaders([]) };
}
