// problem+json → typed errors, over real HTTP from the env.backend.
import { describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  Grantkeeper,
  GrantkeeperError,
  IntegrationError,
  NotFoundError,
  ProviderUnavailableError,
  ReauthRequiredError,
  RefreshInProgressError,
  ValidationError,
} from '../src/index.js';
import { errorFromResponse, parseRetryAfter } from '../src/errors.js';
import { useBackend } from './harness.js';

const env = useBackend();

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('typed errors from the API', () => {
  it('401 → AuthenticationError', async () => {
    const wrong = new Grantkeeper({ baseUrl: env.backend.baseUrl, secretKey: 'not-the-key' });
    const error = await caught(wrong.getToken(await env.backend.createConnection()));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error).toBeInstanceOf(GrantkeeperError);
    expect(error).toMatchObject({ status: 401, name: 'AuthenticationError' });
    expect(String((error as Error).message)).not.toContain('not-the-key');
  });

  it('404 → NotFoundError', async () => {
    const error = await caught(env.client().gk.getToken('conn_does_not_exist'));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ status: 404 });
    expect(await caught(env.client().gk.getConnection('conn_does_not_exist'))).toBeInstanceOf(NotFoundError);
  });

  it('400 → ValidationError with the bad fields', async () => {
    const id = await env.backend.createConnection();
    const error = await caught(env.client().gk.getToken(id, { minValidS: 999_999 }));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors.map((e) => e.field)).toContain('min_valid_s');
  });

  it('409 reauth_required → ReauthRequiredError with diagnosis, reconnect URL and connection', async (ctx) => {
    const id = await env.backend.createConnection();
    const set = env.backend.problemStates.reauth_required;
    if (!set) return ctx.skip('this backend cannot produce that state');
    await set(id);
    const error = await caught(env.client().gk.getToken(id));
    expect(error).toBeInstanceOf(ReauthRequiredError);
    const e = error as ReauthRequiredError;
    expect(e).toMatchObject({ status: 409, code: 'reauth_required' });
    expect(e.reconnectUrl).toMatch(/\/reconnect\//);
    expect(e.diagnosis?.who_fixes).toMatch(/^(end_user|org_admin|developer|nobody_transient)$/);
    expect(e.connection?.id).toBe(id);
    expect(e.connection?.status).toBe('needs_reauth');
    expect(e.problem.code).toBe('reauth_required');
  });

  it('409 integration_error → IntegrationError', async (ctx) => {
    const id = await env.backend.createConnection();
    const set = env.backend.problemStates.integration_error;
    if (!set) return ctx.skip('this backend cannot produce that state');
    await set(id);
    const error = await caught(env.client().gk.getToken(id));
    expect(error).toBeInstanceOf(IntegrationError);
    expect(error).toMatchObject({ status: 409, code: 'integration_error' });
    expect((error as IntegrationError).connection?.status).toBe('integration_error');
  });

  it('503 provider_unavailable → ProviderUnavailableError with retryAfterS', async (ctx) => {
    const id = await env.backend.createConnection();
    const set = env.backend.problemStates.provider_unavailable;
    if (!set) return ctx.skip('this backend cannot produce that state');
    await set(id);
    const error = await caught(env.client().gk.getToken(id, { force: true }));
    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect(error).toMatchObject({ status: 503, code: 'provider_unavailable' });
    expect((error as ProviderUnavailableError).retryAfterS).toBeGreaterThanOrEqual(1);
  });

  it('503 refresh_in_progress → RefreshInProgressError with retryAfterS 1', async (ctx) => {
    const id = await env.backend.createConnection();
    const set = env.backend.problemStates.refresh_in_progress;
    if (!set) return ctx.skip('this backend cannot produce that state');
    await set(id);
    const error = await caught(env.client().gk.refresh(id));
    expect(error).toBeInstanceOf(RefreshInProgressError);
    expect((error as RefreshInProgressError).retryAfterS).toBe(1);
  });
});

describe('error mapping details', () => {
  it('a non-JSON error page still becomes a GrantkeeperError with its status', () => {
    const error = errorFromResponse(502, undefined);
    expect(error).toBeInstanceOf(GrantkeeperError);
    expect(error).toMatchObject({ status: 502, code: 'unexpected_response' });
  });

  it('the code decides before the status', () => {
    expect(errorFromResponse(400, { code: 'reauth_required' })).toBeInstanceOf(ReauthRequiredError);
    expect(errorFromResponse(409, { code: 'duplicate_grant', detail: 'held by conn_9' })).toMatchObject({
      name: 'GrantkeeperError',
      code: 'duplicate_grant',
      detail: 'held by conn_9',
    });
  });

  it('Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('17', now)).toBe(17);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });
});
