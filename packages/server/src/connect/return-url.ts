// Where the browser goes after a connect flow. Only http(s), and when an allowlist is
// configured only its origins or hosts: otherwise a connect link would be an open redirect.

/** An error message, or null when the URL is acceptable. */
export function returnUrlProblem(value: string, allowlist: string[] | null): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute http(s) URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http(s) URL';
  if (url.username || url.password) return 'must not carry credentials';
  if (allowlist && !allowlist.some((entry) => allowed(url, entry))) return 'is not on the return URL allowlist (GRANTKEEPER_RETURN_URL_ALLOWLIST)';
  return null;
}

/** Entries are origins (`https://app.example.com`), hosts (`app.example.com`) or `*.example.com`. */
function allowed(url: URL, entry: string): boolean {
  const rule = entry.trim().toLowerCase();
  if (rule.includes('://')) {
    try {
      return new URL(rule).origin === url.origin;
    } catch {
      return false;
    }
  }
  const host = url.hostname.toLowerCase();
  if (rule.startsWith('*.')) return host.endsWith(rule.slice(1)) && host.length > rule.length - 1;
  return host === rule || url.host.toLowerCase() === rule;
}

/** `return_url` with the flow's outcome added to its query. */
export function withOutcome(returnUrl: string, params: Record<string, string>): string {
  const url = new URL(returnUrl);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.toString();
}
