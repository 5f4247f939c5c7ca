// An integration's `outbound_proxy` (docs/outbound-proxy.md): null (the instance's egress
// applies), "direct" (never through a proxy), or its own `http://[user:pass@]host:port`.
// The URL is stored encrypted; the API shows it with the password masked, and the masked
// form sent back unchanged keeps the stored one (a client echoing what it read).
import { decryptSecret, encryptSecret } from '../crypto/envelope.js';
import type { Keyring } from '../crypto/keyring.js';
import type { IntegrationRow } from '../db/types.js';
import type { FieldProblem } from '../errors.js';
import { INHERIT_EGRESS, type IntegrationEgress } from '../outbound/egress-route.js';
import { maskedProxyUrl, parseProxyUrl, proxyUrl } from '../outbound/proxy-url.js';
import { integrationProxyPlace } from './secret-places.js';

export const DIRECT = 'direct';

export interface StoredOutboundProxy {
  outbound_proxy: string | null;
  outbound_proxy_enc: string | null;
}

/**
 * The columns for a requested `outbound_proxy`, or a problem (which never repeats the value:
 * it may hold a password). `current` is the row being updated, if any.
 */
export function sealOutboundProxy(
  keyring: Keyring,
  rowId: string,
  value: string | null,
  current?: Pick<IntegrationRow, 'outbound_proxy' | 'outbound_proxy_enc'>,
): { ok: true; columns: StoredOutboundProxy } | { ok: false; problem: FieldProblem } {
  if (value === null) return { ok: true, columns: { outbound_proxy: null, outbound_proxy_enc: null } };
  if (value.trim().toLowerCase() === DIRECT) return { ok: true, columns: { outbound_proxy: DIRECT, outbound_proxy_enc: null } };
  if (current?.outbound_proxy_enc && value.trim() === current.outbound_proxy) {
    return { ok: true, columns: { outbound_proxy: current.outbound_proxy, outbound_proxy_enc: current.outbound_proxy_enc } };
  }
  const parsed = parseProxyUrl(value);
  if (!parsed.ok) return { ok: false, problem: { field: 'outbound_proxy', message: `must be null, "${DIRECT}", or a proxy URL: it ${parsed.problem}` } };
  return {
    ok: true,
    columns: { outbound_proxy: maskedProxyUrl(parsed.proxy), outbound_proxy_enc: encryptSecret(keyring, proxyUrl(parsed.proxy), integrationProxyPlace(rowId)) },
  };
}

/** The egress the refresh engine, connect flow and revocations use for this integration. */
export function integrationEgressOf(keyring: Keyring, integration: Pick<IntegrationRow, 'id' | 'outbound_proxy' | 'outbound_proxy_enc'> | null | undefined): IntegrationEgress {
  if (!integration || integration.outbound_proxy === null) return INHERIT_EGRESS;
  if (integration.outbound_proxy === DIRECT || !integration.outbound_proxy_enc) return { kind: 'direct' };
  const parsed = parseProxyUrl(decryptSecret(keyring, integration.outbound_proxy_enc, integrationProxyPlace(integration.id)));
  // Only a parsed URL is ever stored, so this holds; were it not, going direct is safer than guessing.
  return parsed.ok ? { kind: 'proxy', proxy: parsed.proxy } : { kind: 'direct' };
}
