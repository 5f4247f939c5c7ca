// How one outbound request leaves: the direct agents, whose DNS lookup checks every address
// against the address policy (so a name that resolves to 127.0.0.1 is caught at connect
// time), or a proxy tunnel, asked only after the destination passed the same check here.
// `openRequest` is the one place a request is opened, for buffered and streaming callers
// alike; it turns a failing proxy into an OutboundProxyError.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { addressAllowed, type OutboundPolicy } from './address-policy.js';
import { OutboundBlockedError, OutboundProxyError } from './errors.js';

export interface Dispatch {
  agent: http.Agent;
  /** The proxy's label (`host:port`) when the request is tunnelled through one. */
  proxy: string | null;
}

/** Chooses how a request to `url` leaves; throws OutboundBlockedError (nothing sent) for a refused destination. */
export type Dispatcher = (url: URL) => Promise<Dispatch>;

export function createGuardedLookup(policy: OutboundPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = (addresses as unknown as LookupAddress[]).filter((a) => addressAllowed(policy, a.address, hostname));
      if (list.length === 0) {
        const first = (addresses as unknown as LookupAddress[])[0];
        return callback(new OutboundBlockedError(first?.address ?? hostname), '', 0);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };
}

/** The host of a URL without IPv6 brackets. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '');
}

/** A literal IP skips DNS, so it is checked here; names are checked by the guarded lookup. */
function checkLiteral(policy: OutboundPolicy, host: string): void {
  if (isIP(host) && !addressAllowed(policy, host, host)) throw new OutboundBlockedError(host);
}

export function directDispatcher(policy: OutboundPolicy): Dispatcher {
  const lookup = createGuardedLookup(policy);
  const agents = {
    'http:': new http.Agent({ keepAlive: true, lookup, maxSockets: 256 }),
    'https:': new https.Agent({ keepAlive: true, lookup, maxSockets: 256 }),
  };
  return async (url) => {
    checkLiteral(policy, hostOf(url));
    return { agent: agents[url.protocol as 'http:' | 'https:'], proxy: null };
  };
}

/**
 * Before a proxy is asked to connect anywhere, the destination is resolved here and every
 * address it resolves to must pass the policy: the proxy resolves the name again and may
 * pick any of them. (What remains — the proxy's resolver answering differently — is the
 * operator's: docs/outbound-proxy.md.)
 */
export async function checkDestination(policy: OutboundPolicy, url: URL): Promise<void> {
  const host = hostOf(url);
  if (isIP(host)) return checkLiteral(policy, host);
  if (policy.allowPrivateNetwork === true) return;
  const addresses = await new Promise<LookupAddress[]>((resolve, reject) =>
    dnsLookup(host, { all: true }, (error, list) => (error ? reject(error) : resolve(list))),
  );
  const refused = addresses.find((a) => !addressAllowed(policy, a.address, host));
  if (refused || addresses.length === 0) throw new OutboundBlockedError(refused?.address ?? host);
}

export interface OpenedRequest {
  request: http.ClientRequest;
  /** What an error of this request means: a proxy failure before the tunnel opened is an OutboundProxyError. */
  explain(error: Error): Error;
}

interface ProxyConnectAnswer {
  statusCode?: number;
  statusText?: string;
}

export function openRequest(url: URL, options: { method: string; headers: Record<string, string> }, dispatch: Dispatch): OpenedRequest {
  const transport = url.protocol === 'https:' ? https : http;
  const request = transport.request(url, { method: options.method, headers: options.headers, agent: dispatch.agent });
  const proxy = dispatch.proxy;
  if (proxy === null) return { request, explain: (error) => error };
  let tunnelOpen = false;
  // The proxy agent announces the proxy's answer to CONNECT before the request goes out. Any
  // answer but 200 is the proxy speaking (407 wrong credentials, 403 refused, 5xx the
  // destination unreachable from it): never taken for the provider's answer.
  request.on('proxyConnect', (answer: ProxyConnectAnswer) => {
    if (answer.statusCode === 200) tunnelOpen = true;
    else request.destroy(new OutboundProxyError(proxy, answer.statusCode ?? 0, answer.statusText ?? ''));
  });
  return {
    request,
    explain(error) {
      if (tunnelOpen || error instanceof OutboundProxyError || error instanceof OutboundBlockedError) return error;
      const code = (error as NodeJS.ErrnoException).code;
      return new OutboundProxyError(proxy, null, code ?? error.message, { cause: error });
    },
  };
}
