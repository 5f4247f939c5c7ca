// The CLI's view of a running server: resolves where it is and which key to use, and turns
// every failure (unreachable, 401, 404, problem+json) into a CliError that says what to do.
import type { ProblemDocument } from '../api/schemas.js';
import { CliError, EXIT, UsageError } from './args.js';

const DEFAULT_URL = 'http://127.0.0.1:4280';

interface ApiTarget {
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
  // GRANTKEEPER_SECRET_KEY may hold several keys (rotation): each of them works.
  const key = pick(values.key) ?? pick(env.GRANTKEEPER_SECRET_KEY?.split(',')[0]);
  if (!key) throw new UsageError('No API key: pass --key, or set GRANTKEEPER_SECRET_KEY.');
  return { url: url.href.replace(/\/+$/, ''), key };
}

/**
 * A non-2xx answer as the CLI reads it: the API's problem document with its extra members
 * (a diagnosis, a connection id …). Every member but the status is optional, since a proxy
 * or something that is not Grantkeeper may have answered.
 */
export type Problem = Partial<ProblemDocument> & { status: number; [member: string]: unknown };

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

interface ApiResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

/** A 2xx answer, or a non-2xx one with its problem (see `ApiClient.attempt`). */
type Attempt<T> = ({ ok: true } & ApiResponse<T>) | { ok: false; status: number; problem: Problem; headers: Headers };

interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export class ApiClient {
  constructor(readonly target: ApiTarget) {}

  /** A 2xx answer, whose body is `T`: the Static<> type of the route's response schema. Throws ApiError otherwise. */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const answer = await this.attempt<T>(method, path, options);
    if (!answer.ok) throw new ApiError(answer.problem, answer.headers);
    return answer;
  }

  get<T>(path: string, query?: RequestOptions['query']): Promise<ApiResponse<T>> {
    return this.request<T>('GET', path, { query });
  }

  /** Like `request`, but a non-2xx answer resolves with its problem (the importer classifies them). */
  async attempt<T>(method: string, path: string, options: RequestOptions = {}): Promise<Attempt<T>> {
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
    if (!response.ok) return { ok: false, status: response.status, problem: toProblem(response.status, body), headers: response.headers };
    // The server serialized a 2xx body through the route's response schema, whose type T is.
    return { ok: true, status: response.status, body: body as T, headers: response.headers };
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const stringOf = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const isFieldError = (value: unknown): value is { field: string; message: string } =>
  isRecord(value) && typeof value.field === 'string' && typeof value.message === 'string';

function toProblem(status: number, body: unknown): Problem {
  if (isRecord(body)) {
    const { type, title, code, detail, errors } = body;
    return {
      ...body,
      status,
      type: stringOf(type),
      title: stringOf(title),
      code: stringOf(code),
      detail: stringOf(detail),
      errors: Array.isArray(errors) ? errors.filter(isFieldError) : undefined,
    };
  }
  // Not problem+json: a proxy page or something that is not Grantkeeper at all.
  const text = typeof body === 'string' ? body.replace(/\s+/g, ' ').trim().slice(0, 200) : '';
  return { status, code: 'unexpected_response', detail: `unexpected answer${text ? `: ${text}` : ''} (is --url a Grantkeeper server?)` };
}

function unreachable(url: string, error: unknown): CliError {
  const e = error instanceof Error ? error : new Error(String(error));
  if (e.name === 'TimeoutError') return new CliError(`The server at ${url} did not answer in time.`, [], EXIT.failed, { error: { code: 'timeout', detail: 'no answer in time' } });
  // fetch wraps the socket's error (ECONNREFUSED, ENOTFOUND …) as its cause.
  const cause = isRecord(e.cause) ? e.cause : {};
  const reason = stringOf(cause.code) ?? stringOf(cause.message) ?? e.message;
  const message = `Cannot reach Grantkeeper at ${url} (${reason}).`;
  return new CliError(message, ['Is the server running (`grantkeeper start`)? Point the CLI at it with --url or GRANTKEEPER_URL.'], EXIT.failed, {
    error: { code: 'unreachable', detail: message },
  });
}

export const enc = encodeURIComponent;
