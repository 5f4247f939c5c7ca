// An outbound proxy as configured: `http://[user:pass@]host:port`. Parsing never echoes the
// value it refuses (it may carry a password), and the only printable forms are the label
// (`host:port`) and the masked URL (`http://user:****@host:port`).
import { isIP } from 'node:net';

export interface ProxyEndpoint {
  host: string;
  port: number;
  /** Decoded; empty when the proxy takes no credentials. */
  username: string;
  password: string;
}

export type ProxyParse = { ok: true; proxy: ProxyEndpoint } | { ok: false; problem: string };

/** What a masked password looks like in every answer and log line. */
export const PASSWORD_MASK = '****';

export const PROXY_URL_FORM = 'http://[user:password@]host:port';

export function parseProxyUrl(value: string): ProxyParse {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return { ok: false, problem: `must be a URL of the form ${PROXY_URL_FORM}` };
  }
  if (url.protocol !== 'http:') return { ok: false, problem: `must use http:// (the proxy is spoken to in plain HTTP; https destinations are tunnelled with CONNECT): ${PROXY_URL_FORM}` };
  if (url.port === '') return { ok: false, problem: `must name its port: ${PROXY_URL_FORM}` };
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    return { ok: false, problem: `must have no path, query or fragment: ${PROXY_URL_FORM}` };
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === '') return { ok: false, problem: `must name a host: ${PROXY_URL_FORM}` };
  if (url.password !== '' && url.username === '') return { ok: false, problem: 'a proxy password needs a user name' };
  try {
    return { ok: true, proxy: { host, port: Number(url.port), username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) } };
  } catch {
    return { ok: false, problem: 'user name and password must be valid percent-encoding' };
  }
}

/** `host:port`, IPv6 in brackets: the proxy as shown in `/readyz`, `doctor` and errors. */
export function proxyLabel(proxy: Pick<ProxyEndpoint, 'host' | 'port'>): string {
  return `${isIP(proxy.host) === 6 ? `[${proxy.host}]` : proxy.host}:${proxy.port}`;
}

/** The URL with its password replaced by the mask: what the API returns. */
export function maskedProxyUrl(proxy: ProxyEndpoint): string {
  const user = proxy.username ? `${encodeURIComponent(proxy.username)}${proxy.password ? `:${PASSWORD_MASK}` : ''}@` : '';
  return `http://${user}${proxyLabel(proxy)}`;
}

/** The full URL, credentials included: only ever encrypted at rest, never shown. */
export function proxyUrl(proxy: ProxyEndpoint): string {
  const user = proxy.username ? `${encodeURIComponent(proxy.username)}${proxy.password ? `:${encodeURIComponent(proxy.password)}` : ''}@` : '';
  return `http://${user}${proxyLabel(proxy)}`;
}

/** The `Proxy-Authorization` value for a proxy with credentials (RFC 7617 Basic), else null. */
export function proxyAuthorization(proxy: ProxyEndpoint): string | null {
  if (!proxy.username) return null;
  return `Basic ${Buffer.from(`${proxy.username}:${proxy.password}`).toString('base64')}`;
}
