// Which headers cross the proxy (pure). Hop-by-hop headers belong to one connection, not the
// request; the caller's own credentials (its Authorization carries a Grantkeeper key, its
// cookies are ours) never reach the provider; Grantkeeper's own `grantkeeper-*` headers go
// neither way, so a provider cannot pose as Grantkeeper; and no provider cookie is set on
// the caller through us.
import type { IncomingHttpHeaders } from 'node:http';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
// content-length is set again from the buffered body; expect: the body is already here.
const NEVER_FORWARDED = new Set(['authorization', 'cookie', 'host', 'content-length', 'expect']);
const NEVER_RETURNED = new Set(['set-cookie', 'set-cookie2']);

/** The headers named in `Connection` are hop-by-hop too (RFC 9110 §7.6.1). */
function connectionListed(headers: IncomingHttpHeaders): Set<string> {
  const value = headers.connection;
  return new Set((typeof value === 'string' ? value : '').split(',').map((name) => name.trim().toLowerCase()).filter(Boolean));
}

function crosses(name: string, listed: Set<string>): boolean {
  return !HOP_BY_HOP.has(name) && !listed.has(name) && !name.startsWith('grantkeeper-');
}

/** The caller's headers as sent to the provider, with the access token and the body's length. */
export function providerRequestHeaders(incoming: IncomingHttpHeaders, accessToken: string, bodyLength: number | null): Record<string, string> {
  const listed = connectionListed(incoming);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || NEVER_FORWARDED.has(name) || !crosses(name, listed)) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  out.authorization = `Bearer ${accessToken}`;
  if (bodyLength !== null) out['content-length'] = String(bodyLength);
  return out;
}

/** The provider's response headers as returned to the caller (rate-limit headers included). */
export function callerResponseHeaders(incoming: IncomingHttpHeaders): Record<string, string | string[]> {
  const listed = connectionListed(incoming);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || NEVER_RETURNED.has(name) || !crosses(name, listed)) continue;
    out[name] = value;
  }
  return out;
}
