// The one error → HTTP mapping (api/problem.ts): every DomainError kind becomes its status,
// title and type URL with the error's code, fields, extra members and Retry-After; Fastify's
// own errors, AJV's validation errors and database errors are translated by the same table;
// anything else is a 500 that says nothing about its cause.
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { errorHandler } from '../src/api/problem.js';
import { badRequest, conflict, invalid, notFound, unauthorized, unavailable, unprocessable } from '../src/errors.js';

describe('problem+json from one mapping', () => {
  let app: FastifyInstance;
  const thrown: Record<string, () => unknown> = {
    validation: () => invalid([{ field: 'refresh.margin_s', message: 'must be less than refresh.access_token_ttl_s' }]),
    bad_request: () => badRequest('invalid_cursor', 'The cursor is malformed.'),
    unauthorized: () => unauthorized(),
    not_found: () => notFound('Connection "conn_x"'),
    conflict: () => conflict('integration_in_use', 'The integration has 2 connection(s).', { connection_count: 2 }),
    unprocessable: () => unprocessable('idempotency_key_reused', 'This Idempotency-Key was used with a different request body.'),
    unavailable: () => unavailable('provider_unavailable', 'Retry after the delay in Retry-After.', 2.2, { reason: 'provider' }),
    data_exception: () => Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' }),
    database_down: () => Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
    bug: () => new TypeError("Cannot read properties of undefined (reading 'secret_value')"),
  };

  beforeAll(async () => {
    app = Fastify();
    app.setErrorHandler(errorHandler);
    app.get('/throw/:what', async (request) => {
      const { what } = request.params as { what: string };
      throw thrown[what]!();
    });
    app.post('/typed', { schema: { body: { type: 'object', required: ['name'], properties: { name: { type: 'string' } }, additionalProperties: false } } }, async () => ({ ok: true }));
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
  });

  const get = async (what: string) => {
    const res = await app.inject({ method: 'GET', url: `/throw/${what}` });
    expect(res.headers['content-type'], what).toMatch(/^application\/problem\+json/);
    return { status: res.statusCode, headers: res.headers, body: res.json() };
  };

  test.each([
    ['validation', 400, 'Validation failed', 'validation_failed'],
    ['bad_request', 400, 'Bad request', 'invalid_cursor'],
    ['unauthorized', 401, 'Unauthorized', 'unauthorized'],
    ['not_found', 404, 'Not found', 'not_found'],
    ['conflict', 409, 'Conflict', 'integration_in_use'],
    ['unprocessable', 422, 'Unprocessable', 'idempotency_key_reused'],
    ['unavailable', 503, 'Service unavailable', 'provider_unavailable'],
  ])('a DomainError of kind %s is a %i "%s" with its code', async (kind, status, title, code) => {
    const res = await get(kind);
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ type: `https://grantkeeper.dev/problems/${code.replace(/_/g, '-')}`, title, status, code });
    expect(typeof res.body.detail).toBe('string');
  });

  test('fields become `errors`, extra members and Retry-After (rounded up) are kept', async () => {
    expect((await get('validation')).body.errors).toEqual([{ field: 'refresh.margin_s', message: 'must be less than refresh.access_token_ttl_s' }]);
    expect((await get('conflict')).body.connection_count).toBe(2);
    const unavailableRes = await get('unavailable');
    expect(unavailableRes.headers['retry-after']).toBe('3');
    expect(unavailableRes.body.reason).toBe('provider');
  });

  test('database errors: bad input is a 400, an unreachable database a 503 with Retry-After', async () => {
    expect(await get('data_exception')).toMatchObject({ status: 400, body: { code: 'invalid_input', title: 'Bad request' } });
    const down = await get('database_down');
    expect(down).toMatchObject({ status: 503, body: { code: 'database_unavailable' } });
    expect(down.headers['retry-after']).toBe('2');
  });

  test('anything else is a 500 that does not repeat its message', async () => {
    const res = await get('bug');
    expect(res).toMatchObject({ status: 500, body: { code: 'internal_error', title: 'Internal error' } });
    expect(JSON.stringify(res.body)).not.toContain('secret_value');
  });

  test("AJV's errors name the fields; Fastify's own client errors keep their status", async () => {
    const missing = await app.inject({ method: 'POST', url: '/typed', payload: { extra: 1 } });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({ code: 'validation_failed', title: 'Validation failed' });
    expect(missing.json().errors).toEqual(expect.arrayContaining([{ field: 'name', message: 'is required' }]));
    const malformed = await app.inject({ method: 'POST', url: '/typed', headers: { 'content-type': 'application/json' }, payload: '{"name":' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(malformed.json()).toMatchObject({ status: 400, title: 'Bad request' });
    const wrongType = await app.inject({ method: 'POST', url: '/typed', headers: { 'content-type': 'text/csv' }, payload: 'a,b' });
    expect(wrongType.statusCode).toBe(415);
    expect(wrongType.json()).toMatchObject({ status: 415, code: 'ctp_invalid_media_type' });
  });

});
