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

interface ApiBase {
  origin: string;
  /** The base's path without trailing slashes ('' for a bare origin). */
  rootPath: string;
  /** What a checked path is appended to. */
  prefix: string;
}

// API bases are few (one per provider, or per tenant instance) and every proxied call uses
// one: parsed once, not per call. Bounded; cleared whole when full (a parse is cheap).
const MAX_REMEMBERED_BASES = 1024;
const parsedBases = new Map<string, ApiBase | null>();

function parseBase(base: string): ApiBase | null {
  const known = parsedBases.get(base);
  if (known !== undefined) return known;
  let parsed: ApiBase | null = null;
  try {
    const root = new URL(base);
    parsed = { origin: root.origin, rootPath: root.pathname.replace(/\/+$/, ''), prefix: base.replace(/\/+$/, '') };
  } catch {
    parsed = null;
  }
  if (parsedBases.size >= MAX_REMEMBERED_BASES) parsedBases.clear();
  parsedBases.set(base, parsed);
  return parsed;
}

/** The provider URL of a checked path under `base`; null when it would leave the base (never, after the check). */
export function proxiedUrl(base: string, checked: { path: string; query: string }): URL | null {
  const root = parseBase(base);
  if (!root) return null;
  let url: URL;
  try {
    url = new URL(root.prefix + checked.path + checked.query);
  } catch {
    return null;
  }
  const { rootPath } = root;
  if (url.origin !== root.origin || url.username !== '' || url.password !== '') return null;
  if (url.pathname !== rootPath && !url.pathname.startsWith(`${rootPath}/`) && !(rootPath === '' && url.pathname === '/')) return null;
  return url;
}
