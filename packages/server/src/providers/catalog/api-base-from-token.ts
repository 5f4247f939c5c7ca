// A per-connection API base named by the provider's token response (the entry's
// `api_base_from_token`, e.g. Pipedrive's and Zoho's `api_domain`). The answer is untrusted
// input: only an https URL without credentials, query or fragment, on a host the entry's
// pattern allows, is kept. The proxy's address policy still applies when it is called.
import type { ProviderEntry } from './schema.js';

/**
 * The checked base (no trailing slash), or null when the value is not one. A host in
 * `hostOrigins` (development and tests) is sent there, as the endpoints are.
 */
export function checkedApiBaseFromToken(
  entry: Pick<ProviderEntry, 'api_base_from_token'>,
  value: unknown,
  hostOrigins: ReadonlyMap<string, string> = new Map(),
): string | null {
  const rule = entry.api_base_from_token;
  if (!rule || typeof value !== 'string' || !URL.canParse(value)) return null;
  const url = new URL(value);
  if (url.protocol !== 'https:' || url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '' || url.port !== '') return null;
  if (!new RegExp(rule.host_pattern).test(url.hostname)) return null;
  const path = url.pathname.replace(/\/+$/, '');
  return `${hostOrigins.get(url.host) ?? url.origin}${path}`;
}

/** The base the token response names, when the entry reads one; undefined: leave the stored one. */
export function apiBaseFromTokenResponse(
  entry: Pick<ProviderEntry, 'api_base_from_token'>,
  body: Record<string, unknown>,
  hostOrigins?: ReadonlyMap<string, string>,
): string | undefined {
  const field = entry.api_base_from_token?.field;
  if (field === undefined) return undefined;
  return checkedApiBaseFromToken(entry, body[field], hostOrigins) ?? undefined;
}
