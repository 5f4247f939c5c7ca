// Which way one provider call leaves (pure: no I/O). The instance's proxy
// (GRANTKEEPER_OUTBOUND_PROXY) with its exclusion list, and an integration's own
// `outbound_proxy`, which wins over both: a proxy of its own, or `direct`.
import { BlockList, isIP } from 'node:net';
import { proxyLabel, type ProxyEndpoint } from './proxy-url.js';

export interface EgressSettings {
  /** GRANTKEEPER_OUTBOUND_PROXY; null: calls go direct. */
  proxy: ProxyEndpoint | null;
  /** GRANTKEEPER_OUTBOUND_PROXY_EXCLUDE: destinations that bypass the instance's proxy. */
  exclude: string[];
}

/** An integration's `outbound_proxy`: unset (the instance's settings apply), `direct`, or a proxy. */
export type IntegrationEgress = { kind: 'inherit' } | { kind: 'direct' } | { kind: 'proxy'; proxy: ProxyEndpoint };

export const INHERIT_EGRESS: IntegrationEgress = { kind: 'inherit' };

/** Why a route was chosen; shown by `/readyz`, `doctor` and the readiness report. */
export type EgressSource = 'integration' | 'instance' | 'excluded' | 'none';

export type EgressRoute =
  | { kind: 'direct'; source: EgressSource }
  | { kind: 'proxy'; source: EgressSource; proxy: ProxyEndpoint; trusted: boolean };

export function chooseRoute(settings: EgressSettings, integration: IntegrationEgress, destinationHost: string): EgressRoute {
  if (integration.kind === 'direct') return { kind: 'direct', source: 'integration' };
  // An integration's proxy is set through the API, so its address answers to the outbound
  // policy like any destination; the instance's proxy is the operator's own and trusted.
  if (integration.kind === 'proxy') return { kind: 'proxy', source: 'integration', proxy: integration.proxy, trusted: false };
  if (!settings.proxy) return { kind: 'direct', source: 'none' };
  if (isExcluded(settings.exclude, destinationHost)) return { kind: 'direct', source: 'excluded' };
  return { kind: 'proxy', source: 'instance', proxy: settings.proxy, trusted: true };
}

/**
 * Matches the destination host as written in the URL (never its resolved address): a name
 * matches itself and its subdomains (`example.com`, `.example.com` and `*.example.com` all
 * cover `login.example.com`), an IP literal matches itself, a CIDR the literals inside it,
 * and `*` everything.
 */
export function isExcluded(exclude: readonly string[], destinationHost: string): boolean {
  const host = destinationHost.replace(/^\[|\]$/g, '').toLowerCase().replace(/\.$/, '');
  for (const raw of exclude) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    const [net, bits] = entry.split('/');
    if (bits !== undefined && net && isIP(net) && isIP(host) === isIP(net)) {
      const family = isIP(net) === 4 ? 'ipv4' : 'ipv6';
      const list = new BlockList();
      list.addSubnet(net, Number(bits), family);
      if (list.check(host, family)) return true;
      continue;
    }
    const name = entry.replace(/^\*?\./, '').replace(/\.$/, '');
    if (host === name || host.endsWith(`.${name}`)) return true;
  }
  return false;
}

/** An exclusion entry's problem, or null when it is usable. */
export function exclusionProblem(entry: string): string | null {
  const [net, bits, extra] = entry.split('/');
  if (bits === undefined) return /^[*a-z0-9.:_-]+$/i.test(entry) ? null : `"${entry}" is not a host name, IP address or CIDR`;
  const max = isIP(net ?? '') === 4 ? 32 : isIP(net ?? '') === 6 ? 128 : -1;
  if (extra !== undefined || max < 0 || !/^\d{1,3}$/.test(bits) || Number(bits) > max) return `"${entry}" is not a valid CIDR`;
  return null;
}

/** A route as `/readyz` and `doctor` show it: never a credential. */
export function describeRoute(route: EgressRoute): { mode: 'direct' | 'proxy'; proxy: string | null; source: EgressSource } {
  return route.kind === 'proxy' ? { mode: 'proxy', proxy: proxyLabel(route.proxy), source: route.source } : { mode: 'direct', proxy: null, source: route.source };
}
