// What a proxied path may be (pure). The caller names a path under the connection's API
// base; nothing it writes may move the request to another host or above that base: no
// absolute URL, no network-path reference (`//host`), no dot segments (plain or encoded), no
// encoded slash or backslash a provider might decode into one.
export type PathCheck = { ok: true; path: string; query: string } | { ok: false; reason: string };

/** `tail`: the request target after `…/proxy`, still percent-encoded (''|'/…'|'?…'). */
export function checkProxyPath(tail: string): PathCheck {
  const queryAt = tail.indexOf('?');
  const path = queryAt === -1 ? tail : tail.slice(0, queryAt);
  const query = queryAt === -1 ? '' : tail.slice(queryAt);
  if (path !== '' && !path.startsWith('/')) return { ok: false, reason: 'the path must start with /' };
  // Anything below 0x21, DEL, a backslash or a raw non-ASCII byte has no place in a request path.
  if (/[^\x21-\x7e]|\\/.test(path) || /[^\x21-\x7e]/.test(query)) return { ok: false, reason: 'the path contains a character that must be percent-encoded' };
  if (path.startsWith('//')) return { ok: false, reason: 'a path starting with // names a host' };
  if (/%(2f|5c)/i.test(path)) return { ok: false, reason: 'an encoded slash or backslash is not allowed in the path' };
  if (/%25(2f|5c|2e)/i.test(path)) return { ok: false, reason: 'a double-encoded slash, backslash or dot is not allowed in the path' };
  const segments = path.split('/');
  if (/^[a-z][a-z0-9+.-]*:/i.test(segments[1] ?? '') || path.includes('://')) return { ok: false, reason: 'an absolute URL is not allowed: give a path under the API base' };
  for (const segment of segments) {
    const decoded = segment.replace(/%2e/gi, '.');
    if (decoded === '.' || decoded === '..') return { ok: false, reason: 'dot segments (. and ..) are not allowed in the path' };
  }
  return { ok: true, path, query };
}

/** The provider URL of a checked path under `base`; null when it would leave the base (never, after the check). */
export function proxiedUrl(base: string, checked: { path: string; query: string }): URL | null {
  let root: URL;
  let url: URL;
  try {
    root = new URL(base);
    url = new URL(base.replace(/\/+$/, '') + checked.path + checked.query);
  } catch {
    return null;
  }
  const rootPath = root.pathname.replace(/\/+$/, '');
  if (url.origin !== root.origin || url.username !== '' || url.password !== '') return null;
  if (url.pathname !== rootPath && !url.pathname.startsWith(`${rootPath}/`) && !(rootPath === '' && url.pathname === '/')) return null;
  return url;
}
