// The API proxy as a service: a caller's request in, the provider's streamed answer out.
// It is the token fast path plus one outbound call — resolve the connection's API base,
// take the cached token, send the request through the provider egress (the outbound proxy
// applies), and on a 401 force one refresh (single-flight, shared with every caller that
// met the same 401) and replay once. HTTP routes (`/v1/…/proxy`, and any compatible route
// that reuses it) only adapt their request to a ProxyCall and send the ProxyAnswer back.
import type http from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { AppContext } from '../context.js';
import type { AuditContext } from '../domain/audit.js';
import { DomainError, badRequest, notFound, unprocessable } from '../errors.js';
import { OutboundRequestError } from '../outbound/errors.js';
import type { ProviderEgress } from '../outbound/provider-egress.js';
import { toTokenView, type TokenView } from '../refresh/token-result.js';
import { getToken, type Refresher } from '../refresh/token-service.js';
import { callerResponseHeaders, providerRequestHeaders } from './headers.js';
import { checkProxyPath, proxiedUrl } from './target-path.js';
import { ProxyTargets, type ProxyTarget } from './targets.js';
import { upstreamProblem } from './upstream-errors.js';

export interface ProxyCall {
  /** The connection's public id. */
  connectionId: string;
  method: string;
  /** The request target below the API base, still percent-encoded: '' | '/path…' | '?query'. */
  pathAndQuery: string;
  headers: IncomingHttpHeaders;
  /** The whole request body (buffered, so a 401 can be replayed); null: none. */
  body: Buffer | null;
  /** Integration keys the caller may use; null: every integration. */
  integrations: ReadonlySet<string> | null;
  audit: AuditContext;
  /**
   * Another base for this call (Nango's `Base-Url-Override`): taken only on the origin of the
   * connection's own API base — a caller may pick a path there, never another host.
   */
  baseUrlOverride?: string;
}

export interface ProxyAnswer {
  status: number;
  headers: Record<string, string | string[]>;
  /** The provider's body, unchanged, as it arrives. */
  body: Readable;
}

export class ApiProxy {
  private readonly targets: ProxyTargets;

  constructor(
    private readonly ctx: AppContext,
    private readonly refresher: Refresher,
    private readonly egress: ProviderEgress,
  ) {
    this.targets = new ProxyTargets(ctx);
  }

  async forward(call: ProxyCall): Promise<ProxyAnswer> {
    const started = performance.now();
    let integration = 'unknown';
    try {
      const checked = checkProxyPath(call.pathAndQuery);
      if (!checked.ok) throw badRequest('proxy_path_refused', `The proxy path is refused: ${checked.reason}.`);
      const target = await this.targets.resolve(call.connectionId);
      if (call.integrations && !call.integrations.has(target.integrationKey)) throw notFound(`Connection "${call.connectionId}"`);
      integration = target.integrationKey;
      if (call.body && call.body.length > this.ctx.config.proxy.maxBodyBytes) {
        throw new DomainError('payload_too_large', 'body_too_large', `Proxied request bodies are buffered up to ${this.ctx.config.proxy.maxBodyBytes} bytes (GRANTKEEPER_PROXY_MAX_BODY_BYTES).`);
      }
      // Counted in memory like token reads: the proxy's fast path stays free of writes.
      this.ctx.auditCounts.count(call.audit, 'proxy.request', { type: 'connection', id: call.connectionId.toLowerCase() });
      const response = await this.exchange(call, target, checked);
      return this.answer(target, response, call.body?.length ?? 0, started);
    } catch (error) {
      const problem = upstreamProblem(error);
      const failed = problem.kind === 'bad_gateway' || problem.kind === 'gateway_timeout';
      this.ctx.metrics.proxyRequests.inc({ integration, status_class: failed ? 'failed' : 'refused' });
      throw problem;
    }
  }

  /** One call with the current token; on the provider's 401, one more with a refreshed one. */
  private async exchange(call: ProxyCall, target: ProxyTarget, checked: { path: string; query: string }): Promise<http.IncomingMessage> {
    const sentAt = new Date();
    const token = (await getToken(this.ctx, this.refresher, call.connectionId, { arrivedAt: sentAt })).token;
    const first = await this.send(call, target, checked, token);
    if (first.statusCode !== 401) return first;
    first.resume(); // drain the refusal: its socket goes back to the pool
    return this.send(call, target, checked, await this.refreshedAfter(target, token, sentAt));
  }

  /**
   * A token newer than the one the provider refused. Every caller that met the same 401
   * asks with the time it sent its request: the first forces the refresh, the others join
   * it or find the grant already refreshed after their request — one refresh for them all.
   */
  private async refreshedAfter(target: ProxyTarget, refused: TokenView, sentAt: Date): Promise<TokenView> {
    const cached = this.ctx.tokenCache.peek(target.connectionId);
    if (cached && cached.generation > refused.generation && cached.expiresAt.getTime() > Date.now()) return toTokenView(cached);
    const result = await this.refresher.refreshForCaller(target.connectionId, {
      force: true,
      minValidS: 0,
      waitMs: this.ctx.config.refresh.waitMsDefault,
      arrivedAt: sentAt,
      trigger: 'on_demand',
    });
    return result.token;
  }

  private async send(call: ProxyCall, target: ProxyTarget, checked: { path: string; query: string }, token: TokenView): Promise<http.IncomingMessage> {
    const own = target.fixedBase ?? token.instance_url;
    if (!own) {
      throw unprocessable('proxy_not_configured', `No API base URL is known for this connection's provider "${target.provider}": set the integration's api_base_url.`);
    }
    const base = call.baseUrlOverride ? sameOriginBase(own, call.baseUrlOverride) : own;
    const url = proxiedUrl(base, checked);
    if (!url) throw badRequest('proxy_path_refused', 'The proxy path is refused: it leaves the API base.');
    const headers = providerRequestHeaders(call.headers, token.access_token, call.body ? call.body.length : null);
    const { request, explain } = await this.egress.open(target.egress, url, { method: call.method, headers });
    return new Promise((resolve, reject) => {
      const timeoutMs = this.ctx.config.proxy.timeoutMs;
      // Idle for the whole timeout (no headers yet, or a stalled body) ends the call.
      request.setTimeout(timeoutMs, () => request.destroy(new OutboundRequestError(`no answer within ${timeoutMs} ms`, 'timeout', true)));
      request.once('response', resolve);
      request.once('error', (error) => reject(explain(error)));
      request.end(call.body ?? undefined);
    });
  }

  /**
   * The provider's answer as the caller gets it, counted as its body passes. The response
   * itself is the body (no stream in between): paused first, so the counting listener does
   * not start the flow before the caller's consumer is attached — `pipe` and `read()` both
   * emit 'data', so every chunk is counted however it is read.
   */
  private answer(target: ProxyTarget, response: http.IncomingMessage, requestBytes: number, started: number): ProxyAnswer {
    const { metrics } = this.ctx;
    const integration = target.integrationKey;
    const status = response.statusCode ?? 502;
    metrics.proxyRequests.inc({ integration, status_class: `${Math.floor(status / 100)}xx` });
    metrics.proxyBytes.inc({ integration, direction: 'request' }, requestBytes);
    let bytes = 0;
    response.pause();
    response.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    response.once('end', () => {
      metrics.proxyBytes.inc({ integration, direction: 'response' }, bytes);
      metrics.proxyDuration.observe({ integration }, (performance.now() - started) / 1000);
    });
    return { status, headers: callerResponseHeaders(response.headers), body: response };
  }
}

/** An override base on the origin of the connection's own API base, else the 400 it gets. */
function sameOriginBase(own: string, override: string): string {
  let url: URL;
  try {
    url = new URL(override);
  } catch {
    throw badRequest('base_url_override_refused', 'The base URL override is not an absolute URL.');
  }
  if (url.origin !== new URL(own).origin || url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw badRequest('base_url_override_refused', "A base URL override may only name a path on the connection's own API host.");
  }
  return url.href;
}
