// The Grantkeeper API client: management calls, the token hot path (cached, single-flight),
// and provider calls through `fetch`.
import { errorFromResponse, GrantkeeperError } from './errors.js';
import { fetchWithToken, type FetchLike } from './fetch.js';
import { PageIterator } from './pagination.js';
import { proxyCall, type ProxyCallOptions, type ProxyRequest } from './proxy.js';
import { TokenCache } from './token-cache.js';
import type {
  ConnectSession,
  Connection,
  CreateConnectSessionParams,
  ListConnectionsParams,
  Page,
  Token,
  TokenResponse,
} from './types.js';

export interface GrantkeeperOptions {
  /** Where Grantkeeper answers, e.g. `http://127.0.0.1:4280` (a path prefix is kept). */
  baseUrl: string;
  /** A secret key accepted by the server (`GRANTKEEPER_SECRET_KEY`). */
  secretKey: string;
  /** The fetch used for every HTTP call, Grantkeeper's and the provider's (default: global fetch). */
  fetch?: FetchLike;
  /** Timeout of one call to Grantkeeper, in ms (default 60000: a refresh may wait on the provider). */
  timeoutMs?: number;
  /** Default `minValidS` of `getToken` and `fetch` (default 300). */
  minValidS?: number;
  /** Most tokens kept in the in-process cache (default 10000). */
  maxCachedTokens?: number;
}

export interface GetTokenOptions {
  /**
   * The token must stay valid at least this many seconds. Sent to the server as
   * `min_valid_s` when given; when omitted the server applies the integration's margin
   * and the local cache uses the client's default (300 s).
   */
  minValidS?: number;
  /** Refresh even if the current token looks valid (after the provider refused it). */
  force?: boolean;
  signal?: AbortSignal;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

export interface PostOptions extends RequestOptions {
  /** Sent as `Idempotency-Key`: a repeat within 24 h returns the first answer. */
  idempotencyKey?: string;
}

interface ApiRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  idempotencyKey?: string | undefined;
  signal?: AbortSignal | undefined;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MIN_VALID_S = 300;

export class Grantkeeper {
  readonly #baseUrl: string;
  readonly #secretKey: string;
  readonly #fetch: FetchLike;
  readonly #timeoutMs: number;
  readonly #minValidS: number;
  readonly #cache: TokenCache;

  constructor(options: GrantkeeperOptions) {
    if (!options.baseUrl) throw new TypeError('Grantkeeper: baseUrl is required');
    if (!options.secretKey) throw new TypeError('Grantkeeper: secretKey is required');
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#secretKey = options.secretKey;
    // Bound late so tests and polyfills that replace globalThis.fetch after import still apply.
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#minValidS = options.minValidS ?? DEFAULT_MIN_VALID_S;
    this.#cache = new TokenCache(options.maxCachedTokens ?? 10_000);
  }

  /**
   * A valid access token for the connection. Answered from the in-process cache while the
   * cached token has more than `minValidS` left; otherwise one request per connection is in
   * flight at a time, shared by every concurrent caller with the same options.
   */
  async getToken(connectionId: string, options: GetTokenOptions = {}): Promise<Token> {
    const minValidS = options.minValidS ?? this.#minValidS;
    if (!options.force) {
      const cached = this.#cache.get(connectionId, minValidS);
      if (cached) return cached;
    }
    const key = `${connectionId}\u0000${options.force ? 'force' : ''}\u0000${options.minValidS ?? ''}`;
    // The shared request carries no caller's signal: one caller giving up must not fail the
    // others. Each caller stops waiting on its own signal instead.
    const shared = this.#cache.singleFlight(key, async () => {
      const { body } = await this.#call<TokenResponse>({
        method: 'GET',
        path: `/v1/connections/${encodeURIComponent(connectionId)}/token`,
        query: { min_valid_s: options.minValidS, force: options.force ? true : undefined },
      });
      return this.#remember(connectionId, body);
    });
    return options.signal ? untilAborted(shared, options.signal) : shared;
  }

  /**
   * `fetch` against the provider with the connection's token. Relative paths resolve against
   * the connection's `instance_url`. A Salesforce 401 INVALID_SESSION_ID (expired session)
   * gets one forced refresh and one replay; every other answer is returned as it came.
   */
  fetch(connectionId: string, pathOrUrl: string | URL, init?: RequestInit): Promise<Response> {
    return fetchWithToken(
      {
        getToken: (id) => this.getToken(id, signalOption(init?.signal)),
        tokenAfterRejection: (id, rejected) => this.#tokenAfterRejection(id, rejected, init?.signal),
      },
      this.#fetch,
      connectionId,
      pathOrUrl,
      init,
    );
  }

  /**
   * A provider API call through Grantkeeper's API proxy: Grantkeeper adds the token (and
   * refreshes once if the provider says it expired), so this client never holds one. Answers
   * with the provider's Response as it came; throws the typed error of a Grantkeeper refusal
   * (`ReauthRequiredError` for a dead grant, `NotFoundError`, …).
   */
  proxy(request: ProxyRequest): Promise<Response> {
    return proxyCall({ baseUrl: this.#baseUrl, secretKey: this.#secretKey, fetch: this.#fetch }, request);
  }

  /** `proxy()` with GET. */
  get(options: ProxyCallOptions): Promise<Response> {
    return this.proxy({ ...options, method: 'GET' });
  }

  /** `proxy()` with POST. */
  post(options: ProxyCallOptions): Promise<Response> {
    return this.proxy({ ...options, method: 'POST' });
  }

  /** `proxy()` with PUT. */
  put(options: ProxyCallOptions): Promise<Response> {
    return this.proxy({ ...options, method: 'PUT' });
  }

  /** `proxy()` with PATCH. */
  patch(options: ProxyCallOptions): Promise<Response> {
    return this.proxy({ ...options, method: 'PATCH' });
  }

  /** `proxy()` with DELETE. */
  delete(options: ProxyCallOptions): Promise<Response> {
    return this.proxy({ ...options, method: 'DELETE' });
  }

  async getConnection(connectionId: string, options: RequestOptions = {}): Promise<Connection> {
    const { body } = await this.#call<Connection>({
      method: 'GET',
      path: `/v1/connections/${encodeURIComponent(connectionId)}`,
      signal: options.signal,
    });
    this.#cache.noteGeneration(body.id, body.generation);
    return body;
  }

  /** Every matching connection, page by page as you iterate (`for await`), or `.pages()`. */
  listConnections(params: ListConnectionsParams = {}, options: RequestOptions = {}): PageIterator<Connection> {
    const { cursor: start, ...filters } = params;
    return new PageIterator<Connection>(async (cursor) => {
      const { body } = await this.#call<Page<Connection>>({
        method: 'GET',
        path: '/v1/connections',
        query: { ...filters, cursor },
        signal: options.signal,
      });
      for (const c of body.data) this.#cache.noteGeneration(c.id, c.generation);
      return body;
    }, start);
  }

  /** Starts a hosted connect (or, with `connection_id`, reconnect) flow; send the user to `url`. */
  async createConnectSession(params: CreateConnectSessionParams, options: PostOptions = {}): Promise<ConnectSession> {
    const { body } = await this.#call<ConnectSession>({
      method: 'POST',
      path: '/v1/connect-sessions',
      body: params,
      idempotencyKey: options.idempotencyKey,
      signal: options.signal,
    });
    return body;
  }

  /** An operator's "try now": refreshes regardless of backoff and returns the new token. */
  async refresh(connectionId: string, options: PostOptions = {}): Promise<Token> {
    const { body } = await this.#call<TokenResponse>({
      method: 'POST',
      path: `/v1/connections/${encodeURIComponent(connectionId)}/refresh`,
      idempotencyKey: options.idempotencyKey,
      signal: options.signal,
    });
    return this.#remember(connectionId, body);
  }

  /** Deletes the connection; Grantkeeper revokes the grant at the provider in the background. */
  async deleteConnection(connectionId: string, options: RequestOptions = {}): Promise<void> {
    this.#cache.delete(connectionId);
    await this.#call<undefined>({
      method: 'DELETE',
      path: `/v1/connections/${encodeURIComponent(connectionId)}`,
      signal: options.signal,
    });
  }

  /**
   * Drops the cached token of a connection — all of it, or only if older than `generation`.
   * Call it from a webhook handler with `event.data.generation` so a replaced grant's token
   * is not served from the cache.
   */
  invalidateToken(connectionId: string, generation?: number): void {
    if (generation === undefined) this.#cache.delete(connectionId);
    else this.#cache.noteGeneration(connectionId, generation);
  }

  /**
   * After the provider refused `rejected`: if a concurrent caller already replaced it, use
   * that token; otherwise force one refresh (shared with concurrent callers).
   */
  async #tokenAfterRejection(connectionId: string, rejected: Token, signal?: AbortSignal | null): Promise<Token> {
    const cached = this.#cache.get(connectionId, 0);
    if (cached && cached.accessToken !== rejected.accessToken) return cached;
    return this.getToken(connectionId, { force: true, ...signalOption(signal) });
  }

  #remember(connectionId: string, body: TokenResponse): Token {
    const token: Token = {
      accessToken: body.access_token,
      tokenType: body.token_type,
      expiresAt: new Date(body.expires_at),
      instanceUrl: body.instance_url,
      generation: body.generation,
    };
    if (Number.isNaN(token.expiresAt.getTime())) {
      throw new GrantkeeperError({ status: 200, problem: { code: 'unexpected_response', detail: 'token answer has no valid expires_at' } });
    }
    this.#cache.set(connectionId, token);
    return token;
  }

  async #call<T>(req: ApiRequest): Promise<{ body: T; headers: Headers; status: number }> {
    const url = new URL(this.#baseUrl + req.path);
    for (const [name, value] of Object.entries(req.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const headers = new Headers({
      authorization: `Bearer ${this.#secretKey}`,
      accept: 'application/json, application/problem+json',
    });
    if (req.body !== undefined) headers.set('content-type', 'application/json');
    if (req.idempotencyKey) headers.set('idempotency-key', req.idempotencyKey);

    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
    const init: RequestInit = { method: req.method, headers, signal };
    if (req.body !== undefined) init.body = JSON.stringify(req.body);
    const res = await this.#fetch(url, init);

    const text = await res.text();
    let parsed: unknown = undefined;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined; // a proxy's HTML error page, say: reported below by status
      }
    }
    if (!res.ok) throw errorFromResponse(res.status, parsed, res.headers);
    if (parsed === undefined && res.status !== 204) {
      throw new GrantkeeperError({
        status: res.status,
        problem: { code: 'unexpected_response', detail: `expected JSON from ${req.method} ${req.path}` },
      });
    }
    return { body: parsed as T, headers: res.headers, status: res.status };
  }
}

function signalOption(signal: AbortSignal | null | undefined): { signal?: AbortSignal } {
  return signal ? { signal } : {};
}

/** Resolves like `promise`, or rejects with the signal's reason as soon as it aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
