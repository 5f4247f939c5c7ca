import { describe, expect, it } from 'vitest';
import {
  classifyProviderFailure,
  DEFAULT_CLASSIFICATION_RULES,
  mergeClassificationRules,
  OAUTH2_CLASSIFICATION_RULES,
  outcomeMayBeUnknown,
  type ErrorClass,
  type ProviderFailure,
} from '../src/providers/classify.js';

/** A Salesforce token-endpoint answer: HTTP 400 with a JSON OAuth error on a refresh grant. */
function oauthError(error: string, errorDescription: string | null, over: Partial<ProviderFailure> = {}): ProviderFailure {
  return {
    kind: 'oauth_error',
    grantType: 'refresh_token',
    httpStatus: 400,
    error,
    errorDescription,
    bodyWasJson: true,
    requestSent: true,
    ...over,
  };
}

function httpError(httpStatus: number, bodyWasJson: boolean): ProviderFailure {
  return { kind: 'http_error', grantType: 'refresh_token', httpStatus, error: null, errorDescription: null, bodyWasJson, requestSent: true };
}

describe('classifyProviderFailure: every Salesforce token-endpoint error (spec §3.3)', () => {
  const rows: [error: string, description: string, cls: ErrorClass, reason: string, rateLimited: boolean][] = [
    ['invalid_grant', 'expired access/refresh token', 'permanent', 'invalid_grant', false],
    ['invalid_grant', 'token validity expired', 'permanent', 'invalid_grant', false],
    ['invalid_grant', 'inactive user', 'permanent', 'invalid_grant', false],
    ['invalid_grant', 'inactive organization', 'permanent', 'invalid_grant', false],
    ['inactive_user', 'user is inactive', 'permanent', 'inactive_user', false],
    ['inactive_org', 'organization is locked, closed, or suspended', 'permanent', 'inactive_org', false],
    ['invalid_grant', 'IP restricted or invalid login hours', 'permanent', 'invalid_grant', false],
    ['invalid_grant', 'authentication failure', 'permanent', 'invalid_grant', false],
    ['invalid_grant', "user hasn't approved this consumer", 'permanent', 'invalid_grant', false],
    ['invalid_grant', 'expired authorization code', 'transient', 'concurrent_refresh', false],
    ['invalid_client_id', 'client identifier invalid', 'integration', 'invalid_client_id', false],
    ['invalid_client', 'invalid client credentials', 'integration', 'invalid_client', false],
    ['invalid_client_credentials', 'client secret invalid', 'integration', 'invalid_client_credentials', false],
    ['unauthorized_client', 'client not allowed', 'integration', 'unauthorized_client', false],
    ['unsupported_grant_type', 'grant type not supported', 'integration', 'unsupported_grant_type', false],
    ['invalid_request', 'HTTPS required', 'integration', 'invalid_request', false],
    ['invalid_request', 'must use HTTP POST', 'integration', 'invalid_request', false],
    ['invalid_scope', 'requested scope is invalid, unknown, or malformed', 'integration', 'invalid_scope', false],
    ['rate_limit_exceeded', 'number of logins exceeded', 'transient', 'rate_limit_exceeded', true],
    ['unknown_error', 'retry your request', 'transient', 'unknown_error', false],
    ['temporarily_unavailable', 'try later', 'transient', 'temporarily_unavailable', false],
    ['server_error', 'oops', 'transient', 'server_error', false],
  ];
  it.each(rows)('%s / %s → %s (%s)', (error, description, cls, reason, rateLimited) => {
    expect(classifyProviderFailure(oauthError(error, description))).toEqual({ class: cls, alert: false, rateLimited, reason });
  });
});

describe('the concurrent-refresh signature', () => {
  it('is transient on a refresh grant: someone else is refreshing the same token', () => {
    expect(classifyProviderFailure(oauthError('invalid_grant', 'expired authorization code')).class).toBe('transient');
  });
  it('is permanent on an authorization_code grant: the code was reused or expired', () => {
    const c = classifyProviderFailure(oauthError('invalid_grant', 'expired authorization code', { grantType: 'authorization_code' }));
    expect(c).toEqual({ class: 'permanent', alert: false, rateLimited: false, reason: 'invalid_grant' });
  });
  it('matches descriptions regardless of case, spacing and a trailing period', () => {
    expect(classifyProviderFailure(oauthError('invalid_grant', '  Expired   Authorization Code. ')).reason).toBe('concurrent_refresh');
  });
  it('does not match a different description', () => {
    expect(classifyProviderFailure(oauthError('invalid_grant', 'expired authorization code please')).class).toBe('permanent');
  });
});

describe('unknown OAuth codes', () => {
  it('are transient with an alert and reason unclassified, never permanent', () => {
    expect(classifyProviderFailure(oauthError('mystery_error', 'what'))).toEqual({
      class: 'transient',
      alert: true,
      rateLimited: false,
      reason: 'unclassified',
    });
  });
  it('are decided by the OAuth error even on a 5xx', () => {
    expect(classifyProviderFailure(oauthError('invalid_grant', 'expired access/refresh token', { httpStatus: 503 })).class).toBe('permanent');
  });
});

describe('without a parseable OAuth error: the transport and the HTTP status', () => {
  const rows: [name: string, f: ProviderFailure, expected: { class: ErrorClass; alert: boolean; rateLimited: boolean; reason: string }][] = [
    ['503 JSON', httpError(503, true), { class: 'transient', alert: false, rateLimited: false, reason: 'http_5xx' }],
    ['500 HTML', httpError(500, false), { class: 'transient', alert: false, rateLimited: false, reason: 'http_5xx' }],
    ['502 HTML', httpError(502, false), { class: 'transient', alert: false, rateLimited: false, reason: 'http_5xx' }],
    ['408', httpError(408, false), { class: 'transient', alert: false, rateLimited: false, reason: 'http_408' }],
    ['425', httpError(425, true), { class: 'transient', alert: false, rateLimited: false, reason: 'http_425' }],
    ['429', httpError(429, false), { class: 'transient', alert: false, rateLimited: true, reason: 'http_429' }],
    ['non-JSON 400 (proxy page)', httpError(400, false), { class: 'transient', alert: true, rateLimited: false, reason: 'http_4xx_not_json' }],
    ['non-JSON 403 (maintenance page)', httpError(403, false), { class: 'transient', alert: true, rateLimited: false, reason: 'http_4xx_not_json' }],
    ['JSON 400 without error', httpError(400, true), { class: 'transient', alert: true, rateLimited: false, reason: 'unclassified' }],
    ['302 redirect', httpError(302, false), { class: 'transient', alert: true, rateLimited: false, reason: 'unclassified' }],
    [
      'network error',
      { kind: 'network_error', grantType: 'refresh_token', httpStatus: null, error: null, errorDescription: null, bodyWasJson: false, requestSent: false },
      { class: 'transient', alert: false, rateLimited: false, reason: 'network_error' },
    ],
    [
      'timeout',
      { kind: 'timeout', grantType: 'refresh_token', httpStatus: null, error: null, errorDescription: null, bodyWasJson: false, requestSent: true },
      { class: 'transient', alert: false, rateLimited: false, reason: 'timeout' },
    ],
  ];
  it.each(rows)('%s', (_name, f, expected) => {
    expect(classifyProviderFailure(f)).toEqual(expected);
  });

  it('a 429 carrying an OAuth error is still rate limited', () => {
    expect(classifyProviderFailure(oauthError('rate_limit_exceeded', null, { httpStatus: 429 })).rateLimited).toBe(true);
  });
});

describe('outcomeMayBeUnknown', () => {
  const base = { grantType: 'refresh_token', httpStatus: null, error: null, errorDescription: null, bodyWasJson: false } as const;
  it('is true only for a timeout or reset after the request was sent', () => {
    expect(outcomeMayBeUnknown({ ...base, kind: 'timeout', requestSent: true })).toBe(true);
    expect(outcomeMayBeUnknown({ ...base, kind: 'network_error', requestSent: true })).toBe(true);
    expect(outcomeMayBeUnknown({ ...base, kind: 'network_error', requestSent: false })).toBe(false);
    expect(outcomeMayBeUnknown(oauthError('invalid_grant', 'expired access/refresh token'))).toBe(false);
  });
});

describe('rules as data', () => {
  it('the generic OAuth 2.0 rules know only RFC 6749 codes', () => {
    const rfc = OAUTH2_CLASSIFICATION_RULES;
    expect(classifyProviderFailure(oauthError('invalid_grant', 'expired authorization code'), rfc).class).toBe('permanent');
    expect(classifyProviderFailure(oauthError('inactive_user', null), rfc)).toMatchObject({ class: 'transient', reason: 'unclassified', alert: true });
    expect(classifyProviderFailure(oauthError('invalid_client_id', null), rfc).reason).toBe('unclassified');
    expect(classifyProviderFailure(oauthError('invalid_request', null), rfc).class).toBe('integration');
    expect(classifyProviderFailure(oauthError('temporarily_unavailable', null), rfc).class).toBe('transient');
  });

  it('a provider module can extend the rules without code', () => {
    const rules = mergeClassificationRules(DEFAULT_CLASSIFICATION_RULES, {
      permanentErrors: ['consent_revoked'],
      signatures: [{ error: 'invalid_grant', description: 'slow down', class: 'transient', reason: 'provider_throttle' }],
    });
    expect(classifyProviderFailure(oauthError('consent_revoked', null), rules).class).toBe('permanent');
    expect(classifyProviderFailure(oauthError('invalid_grant', 'slow down'), rules).reason).toBe('provider_throttle');
    // The defaults are still there.
    expect(classifyProviderFailure(oauthError('invalid_grant', 'expired authorization code'), rules).reason).toBe('concurrent_refresh');
    expect(classifyProviderFailure(oauthError('consent_revoked', null)).class).toBe('transient');
  });

  it('the rules are plain JSON (a catalog file can hold them)', () => {
    expect(JSON.parse(JSON.stringify(DEFAULT_CLASSIFICATION_RULES))).toEqual(DEFAULT_CLASSIFICATION_RULES);
  });

  it('the default rules hold DESIGN.md\'s lists', () => {
    expect([...DEFAULT_CLASSIFICATION_RULES.integrationErrors].sort()).toEqual(
      ['invalid_client', 'invalid_client_credentials', 'invalid_client_id', 'invalid_request', 'invalid_scope', 'unauthorized_client', 'unsupported_grant_type'],
    );
    expect([...DEFAULT_CLASSIFICATION_RULES.transientErrors].sort()).toEqual(['rate_limit_exceeded', 'server_error', 'temporarily_unavailable', 'unknown_error']);
    expect([...DEFAULT_CLASSIFICATION_RULES.permanentErrors].sort()).toEqual(['inactive_org', 'inactive_user', 'invalid_grant']);
  });
});
