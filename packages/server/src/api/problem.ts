// RFC 9457 problem details with a stable snake_case `code`: the only place an error becomes
// HTTP. Every error a client sees is one of these; nothing else leaves the API (no stack, no
// 5xx for bad input). Routes and the rooms below throw DomainError; Fastify's own errors and
// AJV's validation errors are translated here too.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isDataException, isDatabaseUnavailable } from '../db/errors.js';
import { DomainError, badRequest, invalid, unavailable, type DomainErrorKind, type FieldProblem } from '../errors.js';

const HTTP: Record<DomainErrorKind, { status: number; title: string }> = {
  validation: { status: 400, title: 'Validation failed' },
  bad_request: { status: 400, title: 'Bad request' },
  unauthorized: { status: 401, title: 'Unauthorized' },
  forbidden: { status: 403, title: 'Forbidden' },
  not_found: { status: 404, title: 'Not found' },
  conflict: { status: 409, title: 'Conflict' },
  unprocessable: { status: 422, title: 'Unprocessable' },
  unavailable: { status: 503, title: 'Service unavailable' },
  too_many_requests: { status: 429, title: 'Too many requests' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  bad_gateway: { status: 502, title: 'Bad gateway' },
  gateway_timeout: { status: 504, title: 'Gateway timeout' },
};

interface ProblemReply {
  status: number;
  title: string;
  code: string;
  detail: string;
  members?: Record<string, unknown>;
  retryAfterS?: number;
}

function send(reply: FastifyReply, problem: ProblemReply): FastifyReply {
  if (problem.retryAfterS !== undefined) reply.header('retry-after', String(Math.max(1, Math.ceil(problem.retryAfterS))));
  return reply
    .code(problem.status)
    .type('application/problem+json')
    .send({
      type: `https://grantkeeper.dev/problems/${problem.code.replace(/_/g, '-')}`,
      title: problem.title,
      status: problem.status,
      ...(problem.detail ? { detail: problem.detail } : {}),
      code: problem.code,
      ...problem.members,
    });
}

/** Answers with the problem document of a domain error. */
export function sendProblem(reply: FastifyReply, error: DomainError): FastifyReply {
  const { status, title } = HTTP[error.kind];
  const members = error.fields.length > 0 ? { errors: error.fields, ...error.extra } : error.extra;
  return send(reply, { status, title, code: error.code, detail: error.message, members, retryAfterS: error.retryAfterS });
}

/** Fastify/AJV validation errors → our `errors: [{ field, message }]`. */
function fromValidation(error: FastifyError): DomainError {
  const context = error.validationContext ?? 'body';
  const errors: FieldProblem[] = (error.validation ?? []).map((v) => {
    const params: Record<string, unknown> = v.params;
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
  return invalid(errors);
}

const isFastifyError = (error: Error): error is FastifyError => 'statusCode' in error || 'validation' in error;

export function errorHandler(error: Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof DomainError) return sendProblem(reply, error);
  if (isFastifyError(error)) {
    if (error.validation) return sendProblem(reply, fromValidation(error));
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      // Fastify's own client errors (bad JSON, wrong content type, body too large …) keep their status.
      const code = (error.code ?? 'bad_request').replace(/^FST_ERR_/, '').toLowerCase();
      return send(reply, { status: error.statusCode, title: 'Bad request', code, detail: error.message });
    }
  }
  if (isDataException(error)) {
    // A PostgreSQL data exception (a NUL byte, an out-of-range number …): the input was bad.
    return sendProblem(reply, badRequest('invalid_input', 'The request contains a value the database cannot store or compare.'));
  }
  if (isDatabaseUnavailable(error)) {
    request.log.warn({ err: { message: error.message } }, 'database unavailable');
    return sendProblem(reply, unavailable('database_unavailable', 'The database is unreachable; retry shortly.', 2));
  }
  request.log.error({ err: error, req: request }, 'unhandled error');
  return send(reply, { status: 500, title: 'Internal error', code: 'internal_error', detail: 'An unexpected error occurred; it has been logged.' });
}
