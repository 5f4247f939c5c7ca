// GRANTKEEPER_OUTBOUND_PROXY and GRANTKEEPER_OUTBOUND_PROXY_EXCLUDE: where provider calls
// leave from (docs/outbound-proxy.md). A refused value is reported by name only: it may
// carry the proxy's password.
import { exclusionProblem, type EgressSettings } from '../outbound/egress-route.js';
import { parseProxyUrl } from '../outbound/proxy-url.js';
import type { EnvReader } from './env-reader.js';

export type OutboundProxyConfig = EgressSettings;

export function readOutboundProxyConfig(r: EnvReader): OutboundProxyConfig {
  const raw = r.raw('OUTBOUND_PROXY');
  let proxy: OutboundProxyConfig['proxy'] = null;
  if (raw !== undefined) {
    const parsed = parseProxyUrl(raw);
    if (parsed.ok) proxy = parsed.proxy;
    else r.problems.push(`GRANTKEEPER_OUTBOUND_PROXY ${parsed.problem}`);
  }
  const exclude = r.list('OUTBOUND_PROXY_EXCLUDE') ?? [];
  for (const entry of exclude) {
    const problem = exclusionProblem(entry);
    if (problem) r.problems.push(`GRANTKEEPER_OUTBOUND_PROXY_EXCLUDE: ${problem}`);
  }
  return { proxy, exclude };
}
