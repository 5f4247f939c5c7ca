import { describe, expect, it } from 'vitest';
import { classifyProviderFailure, type ProviderFailure } from '../src/providers/classify.js';
import { isAdminFixable } from '../src/diagnosis/admin-fixable.js';
import { diagnose } from '../src/diagnosis/diagnose.js';
import { describeLastError, truncateUtf8 } from '../src/diagnosis/last-error.js';
import { DIAGNOSIS_RULES } from '../src/diagnosis/rules.js';
import type { DiagnosisEvidence } from '../src/diagnosis/types.js';
import type { DiagnosisCode, WhoFixes } from '../src/domain/diagnosis.js';
import { genericModule } from '../src/providers/generic/module.js';
import { GENERIC_DIAGNOSIS_TEXTS } from '../src/providers/generic/texts.js';
import type { ProviderModule } from '../src/providers/module-types.js';
import { salesforceModule } from '../src/providers/salesforce/module.js';
import { SALESFORCE_DIAGNOSIS_TEXTS } from '../src/providers/salesforce/texts.js';
import { failure, noAnswer } from './helpers/failures.js';

/**
 * Evidence of a plain, healthy history: nothing points anywhere but at the failure itself.
 * Classified, and its cause read, by the Salesforce module unless another is given.
 */
function evidence(
  f: ProviderFailure,
  over: Partial<Omit<DiagnosisEvidence, 'failure' | 'classification'>> = {},
  module: ProviderModule = salesforceModule,
): DiagnosisEvidence {
  return {
    failure: f,
    classification: classifyProviderFailure(f, module.classificationRules),
    namedCause: module.namedCause(f),
    providerName: 'Salesforce',
    firstRefreshSinceAuthorization: false,
    rotationUncertain: false,
    newerLiveGrantsForSameProviderUser: 0,
    grantLimit: 5,
    idleSeconds: 3600,
    providerIdleLimitS: 30 * 86400,
    orgSpike: null,
    ...over,
  };
}

const EXPIRED = failure('invalid_grant', 'expired access/refresh token');
const SPIKE = { orgId: '00D000000000001EAA', count: 12, windowS: 600 };

describe('each Salesforce wire error → class → diagnosis (no other evidence)', () => {
  const rows: [error: string | null, description: string | null, cls: string, code: DiagnosisCode, who: WhoFixes, confidence: 'certain' | 'probable'][] = [
    ['invalid_grant', 'expired access/refresh token', 'permanent', 'revoked', 'end_user', 'probable'],
    ['invalid_grant', 'token validity expired', 'permanent', 'lifetime_expired', 'end_user', 'probable'],
    ['invalid_grant', 'authentication failure', 'permanent', 'credentials_changed', 'end_user', 'probable'],
    ['invalid_grant', 'inactive user', 'permanent', 'user_inactive', 'org_admin', 'certain'],
    ['inactive_user', 'user is inactive', 'permanent', 'user_inactive', 'org_admin', 'certain'],
    ['invalid_grant', 'inactive organization', 'permanent', 'org_inactive', 'org_admin', 'certain'],
    ['inactive_org', 'organization is locked, closed, or suspended', 'permanent', 'org_inactive', 'org_admin', 'certain'],
    ['invalid_grant', 'IP restricted or invalid login hours', 'permanent', 'ip_restricted', 'org_admin', 'certain'],
    ['invalid_grant', "user hasn't approved this consumer", 'permanent', 'not_approved', 'org_admin', 'certain'],
    ['invalid_grant', 'expired authorization code', 'transient', 'provider_unavailable', 'nobody_transient', 'certain'],
    ['invalid_client_id', 'client identifier invalid', 'integration', 'client_credentials_invalid', 'developer', 'certain'],
    ['invalid_client', 'invalid client credentials', 'integration', 'client_credentials_invalid', 'developer', 'certain'],
    ['invalid_client_credentials', 'client secret invalid', 'integration', 'client_credentials_invalid', 'developer', 'certain'],
    ['unauthorized_client', null, 'integration', 'client_credentials_invalid', 'developer', 'certain'],
    ['unsupported_grant_type', 'grant type not supported', 'integration', 'grant_type_unsupported', 'developer', 'certain'],
    ['invalid_request', 'HTTPS required', 'integration', 'grant_type_unsupported', 'developer', 'probable'],
    ['invalid_scope', 'requested scope is invalid, unknown, or malformed', 'integration', 'scope_invalid', 'developer', 'certain'],
    ['rate_limit_exceeded', 'number of logins exceeded', 'transient', 'provider_unavailable', 'nobody_transient', 'certain'],
    ['unknown_error', 'retry your request', 'transient', 'provider_unavailable', 'nobody_transient', 'certain'],
    ['brand_new_error', 'something new', 'transient', 'unclassified_error', 'developer', 'probable'],
    // A bare invalid_grant with an unknown description (generic providers) is the catch-all too.
    ['invalid_grant', 'Token has been expired or revoked.', 'permanent', 'revoked', 'end_user', 'probable'],
  ];
  it.each(rows)('%s / %s → %s → %s (%s, %s)', (error, description, cls, code, who, confidence) => {
    const e = evidence(failure(error, description));
    expect(e.classification.class).toBe(cls);
    const d = diagnose(e, SALESFORCE_DIAGNOSIS_TEXTS);
    expect({ code: d.code, who_fixes: d.who_fixes, confidence: d.confidence }).toEqual({ code, who_fixes: who, confidence });
  });
});

describe('transport failures', () => {
  it.each([
    ['503', failure(null, null, { httpStatus: 503, bodyWasJson: false }), 'provider_unavailable', 'certain'],
    ['429', failure(null, null, { httpStatus: 429, bodyWasJson: false }), 'provider_unavailable', 'certain'],
    ['timeout', noAnswer('timeout', true), 'provider_unavailable', 'certain'],
    ['network error', noAnswer('network_error', false), 'provider_unavailable', 'certain'],
    ['non-JSON 4xx', failure(null, null, { httpStatus: 403, bodyWasJson: false }), 'provider_unavailable', 'probable'],
    ['JSON 4xx without error', failure(null, null, { httpStatus: 400, bodyWasJson: true }), 'unclassified_error', 'probable'],
    ['blocked destination', noAnswer('blocked', false), 'address_blocked', 'certain'],
  ] as const)('%s → %s', (_name, f, code, confidence) => {
    const d = diagnose(evidence(f), SALESFORCE_DIAGNOSIS_TEXTS);
    expect(d.code).toBe(code);
    expect(d.confidence).toBe(confidence);
    expect(d.who_fixes).toBe(code === 'provider_unavailable' ? 'nobody_transient' : 'developer');
  });

  it('a blocked destination is the developer\'s, whatever the grant history says', () => {
    const blocked = noAnswer('blocked', false);
    const history = { rotationUncertain: true, orgSpike: SPIKE, firstRefreshSinceAuthorization: true, newerLiveGrantsForSameProviderUser: 6 };
    for (const module of [salesforceModule, genericModule]) {
      const d = diagnose(evidence(blocked, history, module), module.diagnosisTexts);
      expect({ code: d.code, who_fixes: d.who_fixes, confidence: d.confidence }).toEqual({ code: 'address_blocked', who_fixes: 'developer', confidence: 'certain' });
    }
  });

  it('the address_blocked text names the setting and the integration URL to check', () => {
    const d = diagnose(evidence(noAnswer('blocked', false)), SALESFORCE_DIAGNOSIS_TEXTS);
    const words = [d.summary, ...d.causes, ...d.fix].join(' ');
    expect(words).toContain('GRANTKEEPER_ALLOW_PRIVATE_NETWORK');
    expect(words).toMatch(/auth_base_url/);
    expect(words).toMatch(/token_url/);
    expect(SALESFORCE_DIAGNOSIS_TEXTS.address_blocked).toBe(GENERIC_DIAGNOSIS_TEXTS.address_blocked);
  });
});

describe('the rules read the cause the module names, never a provider\'s wire texts', () => {
  it('a generic provider answering with Salesforce\'s words is the catch-all (its module names no cause)', () => {
    for (const description of ['inactive user', 'token validity expired', 'authentication failure', 'IP restricted or invalid login hours']) {
      const e = evidence(failure('invalid_grant', description), {}, genericModule);
      expect(e.namedCause).toBeNull();
      expect(diagnose(e, GENERIC_DIAGNOSIS_TEXTS).code, description).toBe('revoked');
    }
  });

  it('a named cause decides, whatever the wire text', () => {
    const bare = failure('invalid_grant', null);
    expect(diagnose(evidence(bare, { namedCause: 'user_inactive' }, genericModule), GENERIC_DIAGNOSIS_TEXTS).code).toBe('user_inactive');
    expect(diagnose(evidence(bare, { namedCause: 'lifetime_expired' }, genericModule), GENERIC_DIAGNOSIS_TEXTS).code).toBe('lifetime_expired');
    // A named cause is not an unexplained death: the grant-history rules leave it alone.
    expect(diagnose(evidence(bare, { namedCause: 'not_approved', newerLiveGrantsForSameProviderUser: 6 }, genericModule), GENERIC_DIAGNOSIS_TEXTS).code).toBe('not_approved');
  });
});

describe('evidence rules on `expired access/refresh token`', () => {
  it.each([
    ['5 newer live grants → evicted, certain', { newerLiveGrantsForSameProviderUser: 5 }, 'token_limit_evicted', 'certain'],
    ['7 newer live grants → evicted, certain', { newerLiveGrantsForSameProviderUser: 7 }, 'token_limit_evicted', 'certain'],
    ['4 newer live grants → evicted, probable', { newerLiveGrantsForSameProviderUser: 4 }, 'token_limit_evicted', 'probable'],
    ['3 newer live grants → not evicted', { newerLiveGrantsForSameProviderUser: 3 }, 'revoked', 'probable'],
    ['ledger unknown → not evicted', { newerLiveGrantsForSameProviderUser: null }, 'revoked', 'probable'],
    ['no known limit → not evicted', { grantLimit: null, newerLiveGrantsForSameProviderUser: 9 }, 'revoked', 'probable'],
    ['first refresh since authorization', { firstRefreshSinceAuthorization: true }, 'immediate_expiry_policy', 'probable'],
    ['idle past the known limit', { idleSeconds: 31 * 86400 }, 'idle_expired', 'probable'],
    ['idle, limit unknown', { idleSeconds: 31 * 86400, providerIdleLimitS: null }, 'revoked', 'probable'],
    ['rotation uncertain', { rotationUncertain: true }, 'rotation_lost', 'probable'],
    ['org spike', { orgSpike: SPIKE }, 'org_wide_revocation', 'probable'],
    ['integration-wide spike (no single org)', { orgSpike: { ...SPIKE, orgId: null } }, 'revoked', 'probable'],
  ] as const)('%s', (_name, over, code, confidence) => {
    const d = diagnose(evidence(EXPIRED, over), SALESFORCE_DIAGNOSIS_TEXTS);
    expect(d.code).toBe(code);
    expect(d.confidence).toBe(confidence);
  });

  it('the grant-history rules need a refresh grant', () => {
    const codeExchange = failure('invalid_grant', 'expired access/refresh token', { grantType: 'authorization_code' });
    expect(diagnose(evidence(codeExchange, { firstRefreshSinceAuthorization: true, newerLiveGrantsForSameProviderUser: 5 }), SALESFORCE_DIAGNOSIS_TEXTS).code).toBe('revoked');
  });
});

describe('rule order: the first match wins', () => {
  it.each([
    ['token_limit_evicted beats immediate_expiry_policy', EXPIRED, { newerLiveGrantsForSameProviderUser: 5, firstRefreshSinceAuthorization: true }, 'token_limit_evicted'],
    ['immediate_expiry_policy beats idle_expired', EXPIRED, { firstRefreshSinceAuthorization: true, idleSeconds: 40 * 86400 }, 'immediate_expiry_policy'],
    ['idle_expired beats rotation_lost', EXPIRED, { idleSeconds: 40 * 86400, rotationUncertain: true }, 'idle_expired'],
    ['rotation_lost beats org_wide_revocation', EXPIRED, { rotationUncertain: true, orgSpike: SPIKE }, 'rotation_lost'],
    ['rotation_lost beats revoked', EXPIRED, { rotationUncertain: true }, 'rotation_lost'],
    ['lifetime_expired beats org_wide_revocation', failure('invalid_grant', 'token validity expired'), { orgSpike: SPIKE }, 'lifetime_expired'],
    ['org spike beats credentials_changed', failure('invalid_grant', 'authentication failure'), { orgSpike: SPIKE }, 'org_wide_revocation'],
    ['org spike beats revoked', EXPIRED, { orgSpike: SPIKE }, 'org_wide_revocation'],
    // An answer that names its cause keeps it: a locked org also makes a spike.
    ['org_inactive is not re-explained by a spike', failure('invalid_grant', 'inactive organization'), { orgSpike: SPIKE }, 'org_inactive'],
    ['user_inactive is not re-explained by rotation', failure('inactive_user', 'user is inactive'), { rotationUncertain: true }, 'user_inactive'],
    ['ip_restricted is not re-explained by the ledger', failure('invalid_grant', 'IP restricted or invalid login hours'), { newerLiveGrantsForSameProviderUser: 6 }, 'ip_restricted'],
    ['transient errors are never blamed on the grant history', failure('invalid_grant', 'expired authorization code'), { rotationUncertain: true, orgSpike: SPIKE, newerLiveGrantsForSameProviderUser: 6 }, 'provider_unavailable'],
    ['integration errors are never blamed on the grant history', failure('invalid_client', 'invalid client credentials'), { orgSpike: SPIKE, firstRefreshSinceAuthorization: true }, 'client_credentials_invalid'],
  ] as const)('%s', (_name, f, over, code) => {
    expect(diagnose(evidence(f, over), SALESFORCE_DIAGNOSIS_TEXTS).code).toBe(code);
  });

  it('the rule table is in docs/design.md order and covers every code once', () => {
    expect(DIAGNOSIS_RULES.map((r) => r.code)).toEqual([
      'token_limit_evicted',
      'immediate_expiry_policy',
      'idle_expired',
      'lifetime_expired',
      'rotation_lost',
      'org_wide_revocation',
      'credentials_changed',
      'user_inactive',
      'org_inactive',
      'ip_restricted',
      'not_approved',
      'revoked',
      'client_credentials_invalid',
      'grant_type_unsupported',
      'scope_invalid',
      'address_blocked',
      'unclassified_error',
      'provider_unavailable',
    ]);
  });
});

describe('texts', () => {
  const codes = Object.keys(SALESFORCE_DIAGNOSIS_TEXTS) as DiagnosisCode[];
  const expectedWho: Record<DiagnosisCode, WhoFixes> = {
    token_limit_evicted: 'end_user',
    immediate_expiry_policy: 'org_admin',
    idle_expired: 'end_user',
    lifetime_expired: 'end_user',
    rotation_lost: 'end_user',
    org_wide_revocation: 'org_admin',
    credentials_changed: 'end_user',
    user_inactive: 'org_admin',
    org_inactive: 'org_admin',
    ip_restricted: 'org_admin',
    not_approved: 'org_admin',
    revoked: 'end_user',
    client_credentials_invalid: 'developer',
    grant_type_unsupported: 'developer',
    scope_invalid: 'developer',
    address_blocked: 'developer',
    unclassified_error: 'developer',
    provider_unavailable: 'nobody_transient',
  };

  it('exist for every code', () => {
    expect(codes.sort()).toEqual(Object.keys(expectedWho).sort());
  });

  it.each(Object.entries(expectedWho))('%s: non-empty words, who_fixes %s, at least one prevention step', (code, who) => {
    const t = SALESFORCE_DIAGNOSIS_TEXTS[code as DiagnosisCode]({ provider: 'Salesforce' });
    expect(t.who_fixes).toBe(who);
    expect(t.summary.trim()).not.toBe('');
    expect(t.causes.length).toBeGreaterThan(0);
    expect(t.fix.length).toBeGreaterThan(0);
    expect(t.prevention.length).toBeGreaterThan(0);
    for (const s of [...t.causes, ...t.fix, ...t.prevention.map((p) => p.step)]) expect(s.trim()).not.toBe('');
    if (who === 'end_user') expect(t.fix.join(' ')).toMatch(/reconnect link/);
  });

  it('use the provider name', () => {
    expect(SALESFORCE_DIAGNOSIS_TEXTS.revoked({ provider: 'Acme CRM' }).summary).toContain('Acme CRM');
  });

  it('token_limit_evicted prevention is for the developer: re-authorize less', () => {
    const t = SALESFORCE_DIAGNOSIS_TEXTS.token_limit_evicted({ provider: 'Salesforce' });
    expect(t.prevention[0]).toMatchObject({ who: 'developer' });
    expect(t.prevention[0]!.step).toMatch(/Re-authorize less/);
  });

  it('ip_restricted tells the org admin where to relax IP restrictions', () => {
    const d = diagnose(evidence(failure('invalid_grant', 'IP restricted or invalid login hours')), SALESFORCE_DIAGNOSIS_TEXTS);
    expect(d.fix[0]).toContain('Setup → Connected Apps → Manage Connected Apps → <app> → Edit Policies');
    expect(d.fix[0]).toContain('Relax IP restrictions');
  });

  it('a diagnosis is a fresh copy (callers may mutate it)', () => {
    const a = diagnose(evidence(EXPIRED), SALESFORCE_DIAGNOSIS_TEXTS);
    a.fix.push('x');
    a.prevention[0]!.step = 'changed';
    const b = diagnose(evidence(EXPIRED), SALESFORCE_DIAGNOSIS_TEXTS);
    expect(b.fix).not.toContain('x');
    expect(b.prevention[0]!.step).not.toBe('changed');
  });
});

describe('isAdminFixable', () => {
  it('is true exactly for the codes an org admin can fix without the end user', () => {
    const fixable = Object.keys(SALESFORCE_DIAGNOSIS_TEXTS).filter((c) => isAdminFixable(c as DiagnosisCode));
    expect(fixable.sort()).toEqual(['ip_restricted', 'not_approved', 'org_inactive', 'org_wide_revocation', 'user_inactive']);
  });
});

describe('describeLastError', () => {
  it('keeps the provider fields verbatim', () => {
    const f = failure('invalid_grant', 'expired access/refresh token');
    expect(describeLastError(f, '2026-11-25T10:00:00.000Z')).toEqual({
      at: '2026-11-25T10:00:00.000Z',
      http_status: 400,
      error: 'invalid_grant',
      error_description: 'expired access/refresh token',
    });
  });

  it('accepts a Date and gives nulls for a timeout and a blocked destination', () => {
    for (const f of [noAnswer('timeout', true), noAnswer('blocked', false)]) {
      expect(describeLastError(f, new Date(Date.UTC(2026, 10, 25)))).toEqual({ at: '2026-11-25T00:00:00.000Z', http_status: null, error: null, error_description: null });
    }
  });

  it('cuts each field to 1 KB of UTF-8 without splitting a character', () => {
    const long = 'x'.repeat(5000);
    const d = describeLastError(failure(long, 'é'.repeat(1000)), 't');
    expect(d.error).toBe('x'.repeat(1024));
    expect(d.error_description).toBe('é'.repeat(512));
    expect(truncateUtf8('a' + '😀'.repeat(300), 1024)).toBe('a' + '😀'.repeat(255));
    expect(Buffer.byteLength(truncateUtf8('ab' + '😀'.repeat(300), 1024)!)).toBe(1022);
  });
});
