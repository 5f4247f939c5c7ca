// RFC 9457 problem details with a stable snake_case `code`. Every error a client sees is
// one of these; nothing else leaves the API (no stack, no 5xx for bad input).
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../errors.js';

export interface FieldError {
  field: string;
  message: string;
}

export class Problem extends Error {
  override name = 'Problem';
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail?: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? title);
  }

  toJSON(): Record<string, unknown> {
    return {
      type: `https://grantkeeper.dev/problems/${this.code.replace(/_/g, '-')}`,
      title: this.title,
      status: this.status,
      ...(this.detail ? { detail: this.detail } : {}),
      code: this.code,
      ...this.extra,
    };
  }
}

export const problems = {
  validation: (errors: FieldError[], detail = 'The request is invalid.') =>
    new Problem(400, 'validation_failed', 'Validation failed', detail, { errors }),
  badRequest: (code: string, detail: string) => new Problem(400, code, 'Bad request', detail),
  unauthorized: () => new Problem(401, 'unauthorized', 'Unauthorized', 'A valid API key is required: Authorization: Bearer <secret key>.'),
  notFound: (what: string) => new Problem(404, 'not_found', 'Not found', `${what} was not found.`),
  conflict: (code: string, detail: string, extra: Record<string, unknown> = {}) => new Problem(409, code, 'Conflict', detail, extra),
  unavailable: (code: string, detail: string, retryAfterS: number, extra: Record<string, unknown> = {}) =>
    new Problem(503, code, 'Service unavailable', detail, extra, { 'retry-after': String(Math.max(1, Math.ceil(retryAfterS))) }),
};

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  for (const [name, value] of Object.entries(problem.headers)) reply.header(name, value);
  return reply.code(problem.status).type('application/problem+json').send(problem.toJSON());
}

const DOMAIN_STATUS = { validation: 400, not_found: 404, conflict: 409, unavailable: 503 } as const;
const DOMAIN_TITLE = { validation: 'Validation failed', not_found: 'Not found', conflict: 'Conflict', unavailable: 'Service unavailable' } as const;

export function fromDomain(error: DomainError): Problem {
  const extra = error.fields.length > 0 ? { errors: error.fields, ...error.extra } : error.extra;
  const headers: Record<string, string> = error.retryAfterS !== undefined ? { 'retry-after': String(Math.max(1, Math.ceil(error.retryAfterS))) } : {};
  return new Problem(DOMAIN_STATUS[error.kind], error.code, DOMAIN_TITLE[error.kind], error.message, extra, headers);
}

/** Fastify/AJV validation errors → our `errors: [{ field, message }]`. */
function fromValidation(error: FastifyError): Problem {
  const context = (error as FastifyError & { validationContext?: string }).validationContext ?? 'body';
  const errors: FieldError[] = (error.validation ?? []).map((v) => {
    const params = v.params as Record<string, unknown>;
    let path = (v.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
    if (v.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
      path = path ? `${path}.${params.additionalProperty}` : params.additionalProperty;
      return { field: `${context}.${path}`.replace(/^body\./, ''), message: 'is not a known field' };
    }
    if (v.keyword === 'required' && typeof params.missingProperty === 'string') {
      path = path ? `${path}.${params.missingProperty}` : params.missingProperty;
      return { field: `${context}.${path}`.replace(/^body\./, ''), message: 'is required' };
    }
    return { field: (path ? `${context}.${path}` : context).replace(/^body\./, ''), message: v.message ?? 'is invalid' };
  });
  return problems.validation(errors);
}

export function errorHandler(error: FastifyError | Problem | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof Problem) return sendProblem(reply, error);
  if (error instanceof DomainError) return sendProblem(reply, fromDomain(error));
  const fe = error as FastifyError;
  if (fe.validation) return sendProblem(reply, fromValidation(fe));
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    // Fastify's own client errors: bad JSON, wrong content type, body too large, …
    const code = (fe.code ?? 'bad_request').replace(/^FST_ERR_/, '').toLowerCase();
    return sendProblem(reply, new Problem(fe.statusCode, code, 'Bad request', fe.message));
  }
  if (/^22/.test(String((error as { code?: unknown }).code ?? ''))) {
    // A PostgreSQL data exception (a NUL byte, an out-of-range number …): the input was bad.
    return sendProblem(reply, new Problem(400, 'invalid_input', 'Bad request', 'The request contains a value the database cannot store or compare.'));
  }
  if (isDatabaseUnavailable(error)) {
    request.log.warn({ err: { message: error.message } }, 'database unavailable');
    return sendProblem(reply, problems.unavailable('database_unavailable', 'The database is unreachable; retry shortly.', 2));
  }
  request.log.error({ err: error, req: request }, 'unhandled error');
  return sendProblem(reply, new Problem(500, 'internal_error', 'Internal error', 'An unexpected error occurred; it has been logged.'));
}

function isDatabaseUnavailable(error: Error): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return (
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    code === '57P01' || // admin_shutdown
    code === '57P03' || // cannot_connect_now
    /Connection terminated|timeout exceeded when trying to connect/i.test(error.message)
  );
}
