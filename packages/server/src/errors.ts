// Domain errors: what went wrong, in terms the API maps to problem+json without the lower
// rooms knowing about HTTP.
export type DomainErrorKind = 'validation' | 'not_found' | 'conflict' | 'unavailable';

export interface FieldProblem {
  field: string;
  message: string;
}

export class DomainError extends Error {
  override name = 'DomainError';
  constructor(
    readonly kind: DomainErrorKind,
    readonly code: string,
    message: string,
    readonly fields: FieldProblem[] = [],
    readonly extra: Record<string, unknown> = {},
    readonly retryAfterS?: number,
  ) {
    super(message);
  }
}

export const invalid = (fields: FieldProblem[], message = 'The request is invalid.') =>
  new DomainError('validation', 'validation_failed', message, fields);
export const notFound = (what: string) => new DomainError('not_found', 'not_found', `${what} was not found.`);
export const conflict = (code: string, message: string, extra: Record<string, unknown> = {}) =>
  new DomainError('conflict', code, message, [], extra);
