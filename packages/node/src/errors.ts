// Typed errors built from the API's problem+json answers, so callers can branch with
// `instanceof` instead of comparing status codes and strings.
import type { Connection, Diagnosis, Integration, Problem, ProviderError } from './types.js';

export interface GrantkeeperErrorInit {
  status: number;
  problem: Problem;
  headers?: Headers;
}

/** Any error answer from the Grantkeeper API. */
export class GrantkeeperError extends Error {
  /** HTTP status of the answer. */
  readonly status: number;
  /** The stable snake_case `code` of the problem (`unexpected_response` if there was none). */
  readonly code: string;
  readonly detail: string | undefined;
  /** The whole problem+json body, including members this SDK does not know yet. */
  readonly problem: Problem;

  constructor(init: GrantkeeperErrorInit) {
    const code = typeof init.problem.code === 'string' ? init.problem.code : 'unexpected_response';
    const summary = init.problem.detail ?? init.problem.title ?? `HTTP ${init.status}`;
    super(`${code}: ${summary}`);
    this.name = new.target.name;
    this.status = init.status;
    this.code = code;
    this.detail = init.problem.detail;
    this.problem = init.problem;
  }
}

/** 401: the secret key is missing or not accepted. */
export class AuthenticationError extends GrantkeeperError {}

/** 404: no such connection (or other resource). */
export class NotFoundError extends GrantkeeperError {}

/** 400: the request was malformed; `errors` names the bad fields. */
export class ValidationError extends GrantkeeperError {
  readonly errors: { field: string; message: string }[];
  constructor(init: GrantkeeperErrorInit) {
    super(init);
    this.errors = Array.isArray(init.problem.errors) ? init.problem.errors : [];
  }
}

/** 409 `reauth_required`: the grant is dead; someone (see `diagnosis.who_fixes`) must act. */
export class ReauthRequiredError extends GrantkeeperError {
  readonly diagnosis: Diagnosis | null;
  /** A signed link to send the end user to re-authenticate. */
  readonly reconnectUrl: string | null;
  readonly connection: Connection | null;
  constructor(init: GrantkeeperErrorInit) {
    super(init);
    this.diagnosis = (init.problem.diagnosis as Diagnosis | undefined) ?? null;
    this.reconnectUrl = (init.problem.reconnect_url as string | undefined) ?? null;
    this.connection = (init.problem.connection as Connection | undefined) ?? null;
  }
}

/** 409 `integration_error`: the provider rejects the integration's own credentials or setup. */
export class IntegrationError extends GrantkeeperError {
  readonly connection: Connection | null;
  readonly integration: Integration | null;
  readonly lastError: ProviderError | null;
  constructor(init: GrantkeeperErrorInit) {
    super(init);
    this.connection = (init.problem.connection as Connection | undefined) ?? null;
    this.integration = (init.problem.integration as Integration | undefined) ?? null;
    this.lastError = (init.problem.last_error as ProviderError | undefined) ?? null;
  }
}

/** Base of the two 503s: both say when to try again. */
export class RetryableError extends GrantkeeperError {
  /** Seconds from the `Retry-After` header, or null when absent or unreadable. */
  readonly retryAfterS: number | null;
  constructor(init: GrantkeeperErrorInit) {
    super(init);
    this.retryAfterS = parseRetryAfter(init.headers?.get('retry-after') ?? null);
  }
}

/** 503 `provider_unavailable`: the provider failed transiently and no valid token is left. */
export class ProviderUnavailableError extends RetryableError {}

/** 503 `refresh_in_progress`: another instance's refresh took longer than the wait. */
export class RefreshInProgressError extends RetryableError {}

/** Retry-After is either delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/** Picks the error class for an API answer. The `code` decides first, the status second. */
export function errorFromResponse(status: number, body: unknown, headers?: Headers): GrantkeeperError {
  const problem: Problem =
    body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Problem) : {};
  const init: GrantkeeperErrorInit = headers ? { status, problem, headers } : { status, problem };
  switch (problem.code) {
    case 'reauth_required':
      return new ReauthRequiredError(init);
    case 'integration_error':
      return new IntegrationError(init);
    case 'provider_unavailable':
      return new ProviderUnavailableError(init);
    case 'refresh_in_progress':
      return new RefreshInProgressError(init);
  }
  if (status === 400) return new ValidationError(init);
  if (status === 401) return new AuthenticationError(init);
  if (status === 404) return new NotFoundError(init);
  return new GrantkeeperError(init);
}
