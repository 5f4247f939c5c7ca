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

// Nango's error codes for the problems its clients meet under /nango (its public API
// reference's error shape: `{ "error": { "code", "message", "errors"?, "payload"? } }`).
// Grantkeeper's own code stays in `payload.grantkeeper_code`, with its extra members.
const NANGO_CODES: Record<string, string> = {
  validation_failed: 'invalid_body',
  unauthorized: 'unknown_account',
  insufficient_scope: 'forbidden',
  reauth_required: 'invalid_credentials',
  integration_error: 'invalid_credentials',
  provider_unavailable: 'server_error',
  refresh_in_progress: 'server_error',
  database_unavailable: 'server_error',
};

function sendNango(reply: FastifyReply, status: number, code: string, message: string, extra: { errors?: FieldProblem[]; payload?: Record<string, unknown>; retryAfterS?: number } = {}): FastifyReply {
  if (extra.retryAfterS !== undefined) reply.header('retry-after', String(Math.max(1, Math.ceil(extra.retryAfterS))));
  const errors = extra.errors?.map((e) => ({ code: 'invalid', message: e.message, path: e.field.split('.') }));
  return reply.code(status).type('application/json').send({
    error: { code, message, ...(errors && errors.length > 0 ? { errors } : {}), ...(extra.payload ? { payload: extra.payload } : {}) },
  });
}

/** The /nango routes' error handler: the same decisions as `errorHandler`, in Nango's shape. */
export function nangoErrorHandler(error: Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  let domain: DomainError | null = error instanceof DomainError ? error : null;
  if (!domain && isFastifyError(error) && error.validation) {
    domain = fromValidation(error);
    const context = error.validationContext ?? 'body';
    if (context !== 'body') return sendNango(reply, 400, context === 'querystring' ? 'invalid_query_params' : 'invalid_uri_params', domain.message, { errors: domain.fields });
  }
  if (domain) {
    const { status } = HTTP[domain.kind];
    const payload = domain.code in NANGO_CODES || Object.keys(domain.extra).length > 0 ? { grantkeeper_code: domain.code, ...domain.extra } : undefined;
    return sendNango(reply, status, NANGO_CODES[domain.code] ?? domain.code, domain.message, { errors: domain.fields, payload, retryAfterS: domain.retryAfterS });
  }
  if (isFastifyError(error) && typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    const code = error.statusCode === 413 ? 'request_too_large' : error.code === 'FST_ERR_BAD_URL' ? 'invalid_uri_params' : 'invalid_body';
    return sendNango(reply, error.statusCode, code, error.message);
  }
  if (isDataException(error)) return sendNango(reply, 400, 'invalid_body', 'The request contains a value the database cannot store or compare.');
  if (isDatabaseUnavailable(error)) {
    request.log.warn({ err: { message: error.message } }, 'database unavailable');
    return sendNango(reply, 503, 'server_error', 'The database is unreachable; retry shortly.', { retryAfterS: 2 });
  }
  request.log.error({ err: error, req: request }, 'unhandled error');
  return sendNango(reply, 500, 'server_error', 'An unexpected error occurred; it has been logged.');
}
