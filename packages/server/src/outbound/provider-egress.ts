// Every call to a provider (token, revoke, identity, and the API proxy) leaves through here:
// direct, or through an HTTP proxy so that it leaves from the addresses on the provider's
// allowlist (a refresh-token IP allowlist, say). Built once per instance.
//
// The proxy protocol is https-proxy-agent's (a kept library; never a hand-written CONNECT):
// our client is node:http based, and that agent is an http.Agent, so the buffered fetch and
// a streaming caller use it the same way. It tunnels every destination with CONNECT — https
// (TLS inside the tunnel) and plain http alike — so a proxy only ever sees host:port, never
// a request line, header or body. undici's ProxyAgent would have meant a second HTTP client.
import type http from 'node:http';
import { isIP } from 'node:net';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { addressAllowed, type OutboundPolicy } from './address-policy.js';
import { checkDestination, createGuardedLookup, directDispatcher, hostOf, openRequest, type Dispatcher, type OpenedRequest } from './dispatch.js';
import { chooseRoute, describeRoute, type EgressRoute, type EgressSettings, type IntegrationEgress } from './egress-route.js';
import { OutboundBlockedError, OutboundProxyError } from './errors.js';
import { guardedFetchVia, type GuardedFetch, type OutboundOptions } from './guarded-fetch.js';
import { proxyAuthorization, proxyLabel, proxyUrl, type ProxyEndpoint } from './proxy-url.js';

/** Tunnels kept per distinct proxy (credentials included); the oldest goes when more are needed. */
const MAX_TUNNEL_AGENTS = 64;

/** What the instance hears of its proxies (a log line: outbound/ has no logger of its own). */
export interface EgressObserver {
  onProxyFailure?(error: OutboundProxyError): void;
}

export class ProviderEgress {
  private readonly direct: Dispatcher;
  private readonly tunnels = new Map<string, http.Agent>();

  constructor(
    private readonly policy: OutboundPolicy,
    readonly settings: EgressSettings,
    private readonly options: OutboundOptions,
    private readonly observer: EgressObserver = {},
  ) {
    this.direct = directDispatcher(policy);
  }

  /** The route a call to `url` for an integration with this egress takes. */
  routeFor(egress: IntegrationEgress, url: string | URL): EgressRoute {
    return chooseRoute(this.settings, egress, hostOf(typeof url === 'string' ? new URL(url) : url));
  }

  /** The guarded `fetch` for the calls made on behalf of one integration (oauth4webapi's customFetch). */
  fetchFor(egress: IntegrationEgress): GuardedFetch {
    const fetch = guardedFetchVia(this.dispatcherFor(egress), this.options);
    return async (input, init) => {
      try {
        return await fetch(input, init);
      } catch (error) {
        if (error instanceof OutboundProxyError) this.observer.onProxyFailure?.(error);
        throw error;
      }
    };
  }

  /**
   * For a streaming caller (the API proxy): checks the destination, then opens the request on
   * the right agent. Write the body, end it, and read the response as with node:http; pass
   * every 'error' through `explain` to tell a failing proxy from a failing provider.
   */
  async open(egress: IntegrationEgress, url: URL, init: { method: string; headers: Record<string, string> }): Promise<OpenedRequest> {
    return openRequest(url, init, await this.dispatcherFor(egress)(url));
  }

  /** The instance's own egress, as `/readyz` shows it (never a credential). */
  describeDefault(): { mode: 'direct' | 'proxy'; proxy: string | null; exclude: string[] } {
    return { mode: this.settings.proxy ? 'proxy' : 'direct', proxy: this.settings.proxy ? proxyLabel(this.settings.proxy) : null, exclude: [...this.settings.exclude] };
  }

  /** An integration's egress for one destination, as `/readyz`, `doctor` and the readiness report show it. */
  describeFor(egress: IntegrationEgress, url: string | URL): ReturnType<typeof describeRoute> {
    return describeRoute(this.routeFor(egress, url));
  }

  close(): void {
    for (const agent of this.tunnels.values()) agent.destroy();
    this.tunnels.clear();
  }

  private dispatcherFor(egress: IntegrationEgress): Dispatcher {
    return async (url) => {
      const route = this.routeFor(egress, url);
      if (route.kind === 'direct') return this.direct(url);
      await checkDestination(this.policy, url);
      // An integration's own proxy answers to the address policy (a literal here; a name
      // through the guarded lookup when the tunnel connects).
      if (!route.trusted && isIP(route.proxy.host) && !addressAllowed(this.policy, route.proxy.host, route.proxy.host)) {
        throw new OutboundBlockedError(route.proxy.host);
      }
      return { agent: this.tunnel(route.proxy, route.trusted), proxy: proxyLabel(route.proxy) };
    };
  }

  private tunnel(proxy: ProxyEndpoint, trusted: boolean): http.Agent {
    const key = `${trusted ? 'trusted' : 'checked'} ${proxyUrl(proxy)}`;
    const existing = this.tunnels.get(key);
    if (existing) return existing;
    const authorization = proxyAuthorization(proxy);
    // The agent is given the proxy without its credentials (they travel only in the
    // Proxy-Authorization header), so nothing the library prints or throws can carry them.
    const agent = new HttpsProxyAgent(`http://${proxyLabel(proxy)}`, {
      keepAlive: true,
      maxSockets: 256,
      headers: authorization ? { 'Proxy-Authorization': authorization } : {},
      ...(trusted ? {} : { lookup: createGuardedLookup(this.policy) }),
    });
    if (this.tunnels.size >= MAX_TUNNEL_AGENTS) {
      const [oldestKey, oldest] = this.tunnels.entries().next().value as [string, http.Agent];
      this.tunnels.delete(oldestKey);
      oldest.destroy();
    }
    this.tunnels.set(key, agent);
    return agent;
  }
}
