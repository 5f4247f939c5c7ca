import { describe, expect, it } from 'vitest';
import {
  classifyProviderFailure,
  mergeClassificationRules,
  OAUTH2_CLASSIFICATION_RULES,
  outcomeMayBeUnknown,
  type ClassificationRules,
  type ErrorClass,
  type ProviderFailure,
} from '../src/providers/classify.js';
import { SALESFORCE_CLASSIFICATION_RULES } from '../src/providers/salesforce/classification.js';
import { failure as oauthError, httpError, noAnswer } from './helpers/failures.js';

const SF: ClassificationRules = SALESFORCE_CLASSIFICATION_RULES;
const RFC: ClassificationRules = OAUTH2_CLASSIFICATION_RULES;

describe('classifyProviderFailure: every Salesforce token-endpoint error (docs/salesforce.md)', () => {
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
    expect(classifyProviderFailure(oauthError(error, description), SF)).toEqual({ class: cls, alert: false, rateLimited, reason });
  });
});

describe('the concurrent-refresh signature', () => {
  it('is transient on a refresh grant: someone else is refreshing the same token', () => {
    expect(classifyProviderFailure(oauthError('invalid_grant', 'expired authorization code'), SF).class).toBe('transient');
  });
  it('is permanent on an authorization_code grant: the code was reused or expired', () => {
    const c = classifyProviderFailure(oauthError('invalid_grant', 'expired authorization code', { grantType: 'authorization_code' }), SF);
    expect(c).toEqual({ class: 'permanent', alert: false, rateLimited: false, reason: 'invalid_grant' });
  });
  it('matches descriptions regardless of case, spacing and a trailing period', () => {
    expect(classifyProviderFailure(oauthError('invalid_grant', '  Expired   Authorization Code. '), SF).reason).toBe('concurrent_refresh');
  });
  it('does not match a different description', () => {
    expect(classifyProviderFailure(oauthError('invalid_grant', 'expired authorization code please'), SF).class).toBe('permanent');
  });
});

describe('unknown OAuth codes', () => {
  it.each([['RFC 6749', RFC], ['Salesforce', SF]] as const)('are transient with an alert and reason unclassified, never permanent (%s rules)', (_name, rules) => {
    expect(classifyProviderFailure(oauthError('mystery_error', 'what'), rules)).toEqual({
      class: 'transient',
      alert: true,
      rateLimited: false,
      reason: 'unclassified',
    });
  });
  it('are decided by the OAuth error even on a 5xx', () => {
    expect(classifyProviderFailure(oauthError('invalid_grant', 'expired access/refresh token', { httpStatus: 503 }), SF).class).toBe('permanent');
    expect(classifyProviderFailure(oauthError('invalid_grant', null, { httpStatus: 503 }), RFC).class).toBe('permanent');
  });
});

describe('without a parseable OAuth error: the transport and the HTTP status (every provider alike)', () => {
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
    ['network error', noAnswer('network_error', false), { class: 'transient', alert: false, rateLimited: false, reason: 'network_error' }],
    ['timeout', noAnswer('timeout', true), { class: 'transient', alert: false, rateLimited: false, reason: 'timeout' }],
    // Our own outbound policy refused the integration's URL: a configuration error, never retried as the network.
    ['blocked destination', noAnswer('blocked', false), { class: 'integration', alert: false, rateLimited: false, reason: 'address_blocked' }],
  ];
  it.each(rows)('%s', (_name, f, expected) => {
    expect(classifyProviderFailure(f, RFC)).toEqual(expected);
    expect(classifyProviderFailure(f, SF)).toEqual(expected);
  });

  it('a 429 carrying an OAuth error is still rate limited', () => {
    expect(classifyProviderFailure(oauthError('rate_limit_exceeded', null, { httpStatus: 429 }), SF).rateLimited).toBe(true);
    expect(classifyProviderFailure(oauthError('slow_down', null, { httpStatus: 429 }), RFC).rateLimited).toBe(true);
  });
});

describe('outcomeMayBeUnknown', () => {
  it('is true only for a timeout or reset after the request was sent', () => {
    expect(outcomeMayBeUnknown(noAnswer('timeout', true))).toBe(true);
    expect(outcomeMayBeUnknown(noAnswer('network_error', true))).toBe(true);
    expect(outcomeMayBeUnknown(noAnswer('network_error', false))).toBe(false);
    expect(outcomeMayBeUnknown(noAnswer('blocked', false))).toBe(false);
    expect(outcomeMayBeUnknown(oauthError('invalid_grant', 'expired access/refresh token'))).toBe(false);
  });
});

describe('rules as data', () => {
  it('the generic OAuth 2.0 rules know only RFC 6749 codes', () => {
    expect(classifyProviderFailure(oauthError('invalid_grant', 'expired authorization code'), RFC).class).toBe('permanent');
    expect(classifyProviderFailure(oauthError('inactive_user', null), RFC)).toMatchObject({ class: 'transient', reason: 'unclassified', alert: true });
    expect(classifyProviderFailure(oauthError('invalid_client_id', null), RFC).reason).toBe('unclassified');
    expect(classifyProviderFailure(oauthError('rate_limit_exceeded', null), RFC)).toMatchObject({ class: 'transient', reason: 'unclassified', rateLimited: false });
    expect(classifyProviderFailure(oauthError('invalid_request', null), RFC).class).toBe('integration');
    expect(classifyProviderFailure(oauthError('temporarily_unavailable', null), RFC).class).toBe('transient');
    expect(RFC.signatures).toEqual([]);
  });

  it('a provider module can extend the rules without code', () => {
    const rules = mergeClassificationRules(SF, {
      permanentErrors: ['consent_revoked'],
      signatures: [{ error: 'invalid_grant', description: 'slow down', class: 'transient', reason: 'provider_throttle' }],
    });
    expect(classifyProviderFailure(oauthError('consent_revoked', null), rules).class).toBe('permanent');
    expect(classifyProviderFailure(oauthError('invalid_grant', 'slow down'), rules).reason).toBe('provider_throttle');
    // The base rules are still there, and unchanged.
    expect(classifyProviderFailure(oauthError('invalid_grant', 'expired authorization code'), rules).reason).toBe('concurrent_refresh');
    expect(classifyProviderFailure(oauthError('consent_revoked', null), SF).class).toBe('transient');
  });

  it('the rules are plain JSON (a catalog file can hold them)', () => {
    expect(JSON.parse(JSON.stringify(SF))).toEqual(SF);
    expect(JSON.parse(JSON.stringify(RFC))).toEqual(RFC);
  });

  it("the Salesforce rules hold docs/design.md's lists: RFC 6749's plus Salesforce's codes", () => {
    expect([...SF.integrationErrors].sort()).toEqual(
      ['invalid_client', 'invalid_client_credentials', 'invalid_client_id', 'invalid_request', 'invalid_scope', 'unauthorized_client', 'unsupported_grant_type'],
    );
    expect([...SF.transientErrors].sort()).toEqual(['rate_limit_exceeded', 'server_error', 'temporarily_unavailable', 'unknown_error']);
    // app_not_found (and the OAUTH_EC_APP_NOT_FOUND code reported at authorize): an app missing from the grant's org.
    expect([...SF.permanentErrors].sort()).toEqual(['OAUTH_EC_APP_NOT_FOUND', 'app_not_found', 'inactive_org', 'inactive_user', 'invalid_grant']);
    for (const list of ['integrationErrors', 'transientErrors', 'permanentErrors', 'rateLimitErrors', 'transientHttpStatuses'] as const) {
      for (const item of RFC[list]) expect(SF[list], list).toContain(item);
    }
  });
});
