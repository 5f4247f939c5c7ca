import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { normalizeIp } from './admin.js';
import { createClock, type ClockOptions } from './clock.js';
import type { EmulatorContext, EmulatorSettings } from './context.js';
import { SalesforceEmulatorControls } from './emulator.js';
import { handleAuthorizeGet, handleAuthorizePost } from './endpoints/authorize.js';
import { registerControlRoutes } from './endpoints/control.js';
import { handleDiscovery, handleGenericMetadata, handleIdentity, handleJwks, handleUserInfo } from './endpoints/identity.js';
import { handleIntrospect } from './endpoints/introspect.js';
import { handleRest, handleVersions } from './endpoints/rest.js';
import { handleRevoke } from './endpoints/revoke.js';
import { handleToken } from './endpoints/token.js';
import { REST_NOT_FOUND } from './errors.js';
import { BodyTooLargeError, readBody, Router, sendJson, sendText, type Handler } from './http.js';
import { IdTokenSigner } from './id-token.js';
import { parsePolicyOverrides, type PolicyOverrides } from './policies.js';
import { applySeed, loadSeedFile, type EmulatorSeed } from './seed.js';
import { EmulatorState } from './state.js';
import { RequestLog, type RequestNote } from './request-log.js';
import { StatsRecorder } from './stats.js';
import { TrafficControls, type EndpointName } from './traffic.js';

export interface EmulatorOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** Login host URL used in `id` URLs and as issuer (default: the server's own http://host:port). */
  loginUrl?: string;
  /** Default instance_url (default: the login URL, so the REST stub is on the same server). */
  instanceUrl?: string;
  /** Authorize requests whose login_hint names a user redirect straight back with a code. */
  autoApprove?: boolean;
  /** A seed object or the path of a seed JSON file, applied at start and on reset. */
  seed?: EmulatorSeed | string;
  /** Start the clock at a given time and/or frozen. */
  clock?: ClockOptions;
  /** Emulator-wide policy defaults under every app (e.g. { sessionTimeoutS: 900 }). */
  defaults?: PolicyOverrides;
  /** Authorization-code lifetime in seconds (default 900). */
  codeLifetimeS?: number;
  /** REST API daily limit (default 15000). */
  apiDailyLimit?: number;
  /** Called with one line per request (method, path, status); default silent. */
  log?: (line: string) => void;
}

/** The handle a test holds: the control methods plus where the server is and how to stop it. */
export class SalesforceEmulator extends SalesforceEmulatorControls {
  /** Base URL of the server, e.g. http://127.0.0.1:53211 (no trailing slash). */
  readonly url: string;
  readonly port: number;
  private readonly server: Server;

  constructor(ctx: EmulatorContext, server: Server, url: string, restoreInitialState: () => void) {
    super(ctx, restoreInitialState);
    this.server = server;
    this.url = url;
    this.port = (server.address() as AddressInfo).port;
  }

  get loginUrl(): string {
    return this.ctx.settings.loginUrl;
  }

  get instanceUrl(): string {
    return this.ctx.settings.instanceUrl;
  }

  /** Stops listening and drops every connection, including requests held by faults. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

interface RouteTarget {
  endpoint: EndpointName | 'control' | 'page';
  handler: Handler;
}

function buildRouter(ctx: EmulatorContext): { router: Router; endpointOf: WeakMap<Handler, EndpointName | 'control' | 'page'> } {
  const router = new Router();
  const endpointOf = new WeakMap<Handler, EndpointName | 'control' | 'page'>();
  const add = (method: string | string[], path: string, target: RouteTarget): void => {
    endpointOf.set(target.handler, target.endpoint);
    router.on(method, path, target.handler);
  };
  const ALL = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
  const token: RouteTarget = { endpoint: 'token', handler: (r) => handleToken(ctx, r, 'salesforce') };
  const genericToken: RouteTarget = { endpoint: 'token', handler: (r) => handleToken(ctx, r, 'generic') };
  const authorizeGet: RouteTarget = { endpoint: 'authorize', handler: (r) => handleAuthorizeGet(ctx, r) };
  const authorizePost: RouteTarget = { endpoint: 'authorize', handler: (r) => handleAuthorizePost(ctx, r) };
  const revoke: RouteTarget = { endpoint: 'revoke', handler: (r) => handleRevoke(ctx, r, 'salesforce') };
  const genericRevoke: RouteTarget = { endpoint: 'revoke', handler: (r) => handleRevoke(ctx, r, 'generic') };
  const introspect: RouteTarget = { endpoint: 'introspect', handler: (r) => handleIntrospect(ctx, r) };
  const userinfo: RouteTarget = { endpoint: 'userinfo', handler: (r) => handleUserInfo(ctx, r) };

  add(ALL, '/services/oauth2/token', token);
  add('GET', '/services/oauth2/authorize', authorizeGet);
  add('POST', '/services/oauth2/authorize', authorizePost);
  add(['GET', 'POST'], '/services/oauth2/revoke', revoke);
  add('POST', '/services/oauth2/introspect', introspect);
  add(['GET', 'POST'], '/services/oauth2/userinfo', userinfo);
  // Generic OAuth 2.0 paths: same handlers, RFC 6749 error shapes for unknown clients.
  add(ALL, '/oauth2/token', genericToken);
  add('GET', '/oauth2/authorize', authorizeGet);
  add('POST', '/oauth2/authorize', authorizePost);
  add(['GET', 'POST'], '/oauth2/revoke', genericRevoke);
  add('POST', '/oauth2/introspect', introspect);
  add(['GET', 'POST'], '/oauth2/userinfo', userinfo);
  add('GET', '/id/keys', { endpoint: 'discovery', handler: (r) => handleJwks(ctx, r) });
  add(['GET', 'POST'], '/id/:orgId/:userId', { endpoint: 'identity', handler: (r) => handleIdentity(ctx, r) });
  add('GET', '/.well-known/openid-configuration', { endpoint: 'discovery', handler: (r) => handleDiscovery(ctx, r) });
  add('GET', '/.well-known/oauth-authorization-server', { endpoint: 'discovery', handler: (r) => handleGenericMetadata(ctx, r) });
  add('GET', '/services/data', { endpoint: 'rest', handler: (r) => handleVersions(ctx, r) });
  const rest: Handler = (r) => {
    const m = /^\/services\/data\/v(\d+\.\d+)(?:\/(.*))?$/.exec(r.url.pathname);
    if (!m) return sendJson(r.res, 404, REST_NOT_FOUND);
    r.params.version = m[1]!;
    r.params.rest = m[2] ?? '';
    return handleRest(ctx, r);
  };
  add(ALL, '/services/data/*', { endpoint: 'rest', handler: rest });
  return { router, endpointOf };
}

/** Starts an emulator on its own HTTP server. */
export async function startSalesforceEmulator(options: EmulatorOptions = {}): Promise<SalesforceEmulator> {
  const clock = createClock(options.clock ?? {});
  const settings: EmulatorSettings = {
    loginUrl: '',
    instanceUrl: '',
    autoApprove: options.autoApprove ?? false,
    codeLifetimeS: options.codeLifetimeS ?? 900,
    apiDailyLimit: options.apiDailyLimit ?? 15000,
    apiRequestsUsed: 0,
    myDomain: true,
    policyDefaults: parsePolicyOverrides({ ...(options.defaults ?? {}) }),
  };
  const ctx: EmulatorContext = {
    state: new EmulatorState(),
    clock,
    stats: new StatsRecorder(),
    traffic: new TrafficControls(clock),
    idTokens: new IdTokenSigner(),
    settings,
    requestLog: new RequestLog(),
  };
  const seed = typeof options.seed === 'string' ? loadSeedFile(options.seed) : options.seed;
  const restoreInitialState = (): void => {
    if (options.clock?.startAt !== undefined) clock.set(options.clock.startAt);
    if (options.clock?.frozen) clock.freeze(true);
    settings.autoApprove = options.autoApprove ?? false;
    if (seed) applySeed(ctx, seed);
  };

  const { router, endpointOf } = buildRouter(ctx);
  ctx.addRoute = (method, path, handler, endpoint = 'revoke') => {
    endpointOf.set(handler, endpoint);
    router.first(method, path, handler);
  };
  const server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    void dispatch(ctx, router, endpointOf, req, res, options.log);
  });
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // A malformed request line or header must not crash anything (spec: never a 500 or a crash).
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address === '0.0.0.0' ? '127.0.0.1' : address.address;
  const url = `http://${host}:${address.port}`;
  settings.loginUrl = (options.loginUrl ?? url).replace(/\/+$/, '');
  settings.instanceUrl = (options.instanceUrl ?? settings.loginUrl).replace(/\/+$/, '');

  const emulator = new SalesforceEmulator(ctx, server, url, restoreInitialState);
  registerControlRoutes(router, ctx, emulator);
  restoreInitialState();
  return emulator;
}

async function dispatch(
  ctx: EmulatorContext,
  router: Router,
  endpointOf: WeakMap<Handler, EndpointName | 'control' | 'page'>,
  req: IncomingMessage,
  res: ServerResponse,
  log: ((line: string) => void) | undefined,
): Promise<void> {
  const method = req.method ?? 'GET';
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://emulator.local');
  } catch {
    return sendJson(res, 400, { error: 'invalid_request', error_description: 'malformed request target' });
  }
  if (log) res.on('finish', () => log(`${method} ${url.pathname} ${res.statusCode}`));
  const match = router.match(method, url.pathname);
  if (match === 'not_found') return sendJson(res, 404, REST_NOT_FOUND);
  if (match === 'method_not_allowed') return sendJson(res, 405, { error: 'invalid_request', error_description: 'method not allowed' });
  const endpoint = endpointOf.get(match.handler) ?? 'control';
  const note: RequestNote = {};
  if (endpoint !== 'control') {
    const sourceIp = normalizeIp(req.socket.remoteAddress ?? '');
    res.on('finish', () => ctx.requestLog.add({ at: ctx.clock.now(), endpoint, method, path: url.pathname, status: res.statusCode, ...note, source_ip: sourceIp }));
  }

  try {
    const body = await readBody(req);
    if (endpoint !== 'control' && endpoint !== 'page') {
      const latency = ctx.traffic.latencyFor(endpoint);
      if (latency > 0) await sleep(latency);
      const fault = ctx.traffic.takeFault(endpoint);
      if (fault) {
        ctx.stats.count('faults_injected');
        if (endpoint === 'token') ctx.stats.count('token_requests');
        if (fault.mode === 'reset') return void req.socket.destroy();
        if (fault.mode === 'timeout') return; // never answered; close() drops it
        if (fault.mode === 'non_json') {
          const html = typeof fault.body === 'string' ? fault.body : '<html><head><title>Service Unavailable</title></head><body>Service Unavailable</body></html>';
          return sendText(res, fault.status, html, 'text/html;charset=UTF-8');
        }
        if (typeof fault.body === 'string') return sendText(res, fault.status, fault.body);
        return sendJson(res, fault.status, fault.body ?? { error: 'unknown_error', error_description: 'retry your request' });
      }
    }
    const forwarded = req.headers['x-emulator-client-ip'];
    const clientIp = typeof forwarded === 'string' && forwarded ? forwarded : (req.socket.remoteAddress ?? '');
    await match.handler({ req, res, method, url, params: match.params, body, clientIp, note });
  } catch (error) {
    if (res.headersSent) return void res.destroy();
    if (error instanceof BodyTooLargeError) return sendJson(res, 413, { error: 'invalid_request', error_description: 'request body too large' });
    // A bug in the emulator: answer like Salesforce's transient failure, and say so on stderr.
    console.error('[salesforce-emulator]', error);
    sendJson(res, 500, { error: 'unknown_error', error_description: 'retry your request' });
  }
}
