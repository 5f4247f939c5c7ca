// Which of a Nango proxy call's headers reach the provider (pure). `@nangohq/node` sends its
// own instructions as plain headers (Connection-Id, Provider-Config-Key, Retries, Decompress …)
// and the caller's headers for the provider prefixed `Nango-Proxy-`: only the prefixed ones
// (prefix removed) and the body's Content-Type go on. The proxy service then drops what never
// crosses (Authorization, Host, cookies, hop-by-hop) and adds the connection's token.
import type { IncomingHttpHeaders } from 'node:http';

const FOR_THE_PROVIDER = 'nango-proxy-';

export function nangoProviderHeaders(incoming: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  if (incoming['content-type'] !== undefined) out['content-type'] = incoming['content-type'];
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || !name.startsWith(FOR_THE_PROVIDER) || name.length === FOR_THE_PROVIDER.length) continue;
    out[name.slice(FOR_THE_PROVIDER.length)] = value;
  }
  return out;
}

/** One header's value as the SDK sends it; '' and a missing header are both absent. */
export function singleHeader(incoming: IncomingHttpHeaders, name: string): string | null {
  const value = incoming[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text.trim() === '' ? null : text.trim();
}
