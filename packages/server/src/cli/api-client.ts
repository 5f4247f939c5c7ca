// The CLI's view of a running server: resolves where it is and which key to use, and turns
// every failure (unreachable, 401, 404, problem+json) into a CliError that says what to do.
import { CliError, EXIT, UsageError } from './args.js';

export const DEFAULT_URL = 'http://127.0.0.1:4280';

export interface ApiTarget {
  url: string;
  key: string;
}

export function resolveTarget(values: { url?: string; key?: string }, env: NodeJS.ProcessEnv = process.env): ApiTarget {
  const pick = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v.trim());
  const rawUrl = pick(values.url) ?? pick(env.GRANTKEEPER_URL) ?? pick(env.GRANTKEEPER_PUBLIC_URL) ?? DEFAULT_URL;
  let url: URL;
  try {
    url = new URL(rawUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw new UsageError(`The server URL must be http(s)://…, got "${rawUrl}".`);
  }
  // GRANTKEEPER_SECRET_KEY may hold several keys (rotation): any one of them works.
  const key = pick(values.key) ?? pick(env.GRANTKEEPER_SECRET_KEY?.split(',')[0]);
  if (!key) throw new UsageError('No API key: pass --key, or set GRANTKEEPER_SECRET_KEY.');
  return { url: url.href.replace(/\/+$/, ''), key };
}

export interface Problem {
  type?: string;
  title?: string;
  status: number;
  code?: string;
  detail?: string;
  errors?: { field: string; message: string }[];
  [extra: string]: unknown;
}

/** A non-2xx answer, with its problem body. */
export class ApiError extends CliError {
  constructor(readonly problem: Problem, readonly headers: Headers) {
    super(describeProblem(problem), (problem.errors ?? []).map((e) => `${e.field}: ${e.message}`), EXIT.failed, { error: problem });
  }
  get status(): number {
    return this.problem.status;
  }
  get code(): string | undefined {
    return this.problem.code;
  }
}

function describeProblem(p: Problem): string {
  const head = `${p.status}${p.code ? ` ${p.code}` : ''}`;
  if (p.status === 401) return `${head}: the server refused the API key (check --key / GRANTKEEPER_SECRET_KEY).`;
  return `${head}: ${p.detail ?? p.title ?? 'the request failed'}`;
}

export interface ApiResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  timeoutMs?: number;
  /** Resolve with non-2xx answers instead of throwing (the importer classifies them). */
  acceptErrors?: boolean;
}

export class ApiClient {
  constructor(readonly target: ApiTarget) {}

  async request<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const url = new URL(`${this.target.url}${path}`);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.target.key}`,
          accept: 'application/json',
          ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...options.headers,
        },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
      });
    } catch (error) {
      throw unreachable(this.target.url, error);
    }
    const text = await response.text().catch(() => '');
    let body: unknown = null;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    if (!response.ok && !options.acceptErrors) throw new ApiError(toProblem(response.status, body), response.headers);
    return { status: response.status, body: body as T, headers: response.headers };
  }

  get<T = any>(path: string, query?: RequestOptions['query']): Promise<ApiResponse<T>> {
    return this.request<T>('GET', path, { query });
  }
}

export function toProblem(status: number, body: unknown): Problem {
  if (body && typeof body === 'object' && !Array.isArray(body)) return { ...(body as object), status } as Problem;
  // Not problem+json: a proxy page or something that is not Grantkeeper at all.
  const text = typeof body === 'string' ? body.replace(/\s+/g, ' ').trim().slice(0, 200) : '';
  return { status, code: 'unexpected_response', detail: `unexpected answer${text ? `: ${text}` : ''} (is --url a Grantkeeper server?)` };
}

function unreachable(url: string, error: unknown): CliError {
  const e = error as Error & { cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return new CliError(`The server at ${url} did not answer in time.`, [], EXIT.failed, { error: { code: 'timeout', detail: 'no answer in time' } });
  const reason = e.cause?.code ?? e.cause?.message ?? e.message;
  const message = `Cannot reach Grantkeeper at ${url} (${reason}).`;
  return new CliError(message, ['Is the server running (`grantkeeper start`)? Point the CLI at it with --url or GRANTKEEPER_URL.'], EXIT.failed, {
    error: { code: 'unreachable', detail: message },
  });
}

export const enc = encodeURIComponent;
