// The one thrown error type for "the request cannot be served as asked": what went wrong,
// in terms `api/problem.ts` maps to problem+json, without the rooms below knowing about HTTP.
export type DomainErrorKind =
  | 'validation'
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'unprocessable'
  | 'unavailable'
  | 'too_many_requests'
  | 'payload_too_large'
  | 'method_not_allowed'
  /** A provider we forward to (the API proxy) could not be reached or failed mid-way. */
  | 'bad_gateway'
  | 'gateway_timeout';

export interface FieldProblem {
  field: string;
  message: string;
}

export class DomainError extends Error {
  override name = 'DomainError';
  constructor(
    readonly kind: DomainErrorKind,
    /** Stable snake_case code clients branch on. */
    readonly code: string,
    message: string,
    readonly fields: FieldProblem[] = [],
    /** Further members of the problem document (a diagnosis, a connection …). */
    readonly extra: Record<string, unknown> = {},
    /** When a retry may succeed (seconds). */
    readonly retryAfterS?: number,
  ) {
    super(message);
  }
}

export const invalid = (fields: FieldProblem[], message = 'The request is invalid.') =>
  new DomainError('validation', 'validation_failed', message, fields);
export const badRequest = (code: string, message: string) => new DomainError('bad_request', code, message);
export const unauthorized = (message = 'A valid API key is required: Authorization: Bearer <secret key>.') =>
  new DomainError('unauthorized', 'unauthorized', message);
export const forbidden = (code: string, message: string, extra: Record<string, unknown> = {}) =>
  new DomainError('forbidden', code, message, [], extra);
export const tooManyRequests = (code: string, message: string, retryAfterS: number) =>
  new DomainError('too_many_requests', code, message, [], {}, retryAfterS);
export const notFound = (what: string) => new DomainError('not_found', 'not_found', `${what} was not found.`);
export const conflict = (code: string, message: string, extra: Record<string, unknown> = {}) =>
  new DomainError('conflict', code, message, [], extra);
export const unprocessable = (code: string, message: string) => new DomainError('unprocessable', code, message);
export const unavailable = (code: string, message: string, retryAfterS: number, extra: Record<string, unknown> = {}) =>
  new DomainError('unavailable', code, message, [], extra, retryAfterS);
