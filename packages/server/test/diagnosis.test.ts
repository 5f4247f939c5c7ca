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
    failedVerification: false,
    importedNeverRefreshed: false,
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
    ['app_not_found', 'External client app is not installed in this org', 'permanent', 'app_not_installed', 'org_admin', 'certain'],
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
    ['first refresh since authorization, unverified → the policy or a revoke', { firstRefreshSinceAuthorization: true }, 'immediate_expiry_or_revoked', 'probable'],
    ['the verification right after connecting → the policy, certain', { firstRefreshSinceAuthorization: true, failedVerification: true }, 'immediate_expiry_policy', 'certain'],
    ['an imported grant that never refreshed → unknown token', { importedNeverRefreshed: true }, 'unknown_token', 'probable'],
    ['an import with issued_at that never refreshed → unknown token', { importedNeverRefreshed: true, firstRefreshSinceAuthorization: true }, 'unknown_token', 'probable'],
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

describe('a grant\'s first refresh: only verification proves the immediate-expiry policy', () => {
  const flags = [true, false];
  // Every history the other rules read, with and without a failed first refresh or an import.
  const histories = flags.flatMap((firstRefreshSinceAuthorization) =>
    flags.flatMap((importedNeverRefreshed) =>
      flags.flatMap((rotationUncertain) =>
        [null, SPIKE].flatMap((orgSpike) =>
          [0, 4, 5].flatMap((newer) =>
            [3600, 40 * 86400].map((idleSeconds) => ({ firstRefreshSinceAuthorization, importedNeverRefreshed, rotationUncertain, orgSpike, newerLiveGrantsForSameProviderUser: newer, idleSeconds })),
          ),
        ),
      ),
    ),
  );

  it('without verification evidence, no history is ever diagnosed immediate_expiry_policy', () => {
    expect(histories).toHaveLength(96);
    for (const module of [salesforceModule, genericModule]) {
      for (const history of histories) {
        const code = diagnose(evidence(EXPIRED, { ...history, failedVerification: false }, module), module.diagnosisTexts).code;
        expect(code, JSON.stringify(history)).not.toBe('immediate_expiry_policy');
      }
    }
  });

  it('a grant that passed verification (it has refreshed since) and later dies is diagnosed by the other evidence', () => {
    // Passing verification is a successful refresh: the grant's first refresh is behind it.
    expect(diagnose(evidence(EXPIRED, { firstRefreshSinceAuthorization: false }), SALESFORCE_DIAGNOSIS_TEXTS).code).toBe('revoked');
    expect(diagnose(evidence(EXPIRED, { firstRefreshSinceAuthorization: false, idleSeconds: 40 * 86400 }), SALESFORCE_DIAGNOSIS_TEXTS).code).toBe('idle_expired');
  });

  it('the unverified first-refresh diagnosis names both causes and sends the end user to a verified reconnect', () => {
    for (const texts of [SALESFORCE_DIAGNOSIS_TEXTS, GENERIC_DIAGNOSIS_TEXTS]) {
      const d = diagnose(evidence(EXPIRED, { firstRefreshSinceAuthorization: true }), texts);
      expect(d).toMatchObject({ code: 'immediate_expiry_or_revoked', who_fixes: 'end_user', confidence: 'probable' });
      expect(d.summary).toMatch(/expire immediately|expire at once/);
      expect(d.summary).toMatch(/revoked/);
      expect(d.causes.join(' ')).toMatch(/revoke/i);
      expect(d.fix.join(' ')).toMatch(/error=immediate_expiry_policy/);
    }
  });

  it('a failed verification names the policy alone, for the org admin', () => {
    const d = diagnose(evidence(EXPIRED, { firstRefreshSinceAuthorization: true, failedVerification: true }), SALESFORCE_DIAGNOSIS_TEXTS);
    expect(d).toMatchObject({ code: 'immediate_expiry_policy', who_fixes: 'org_admin', confidence: 'certain' });
    expect(d.summary).not.toMatch(/most likely|revoked/);
    expect(d.fix[0]).toContain('Refresh Token Policy');
  });

  it('an imported token that never worked says the provider does not know it (not "revoked")', () => {
    for (const [texts, name] of [[SALESFORCE_DIAGNOSIS_TEXTS, 'Salesforce'], [GENERIC_DIAGNOSIS_TEXTS, 'Acme']] as const) {
      const d = describeWords(diagnose({ ...evidence(EXPIRED, { importedNeverRefreshed: true }), providerName: name }, texts));
      expect(d.code).toBe('unknown_token');
      expect(d.who_fixes).toBe('developer');
      expect(d.summary).toContain(`${name} does not know this imported refresh token`);
      expect(d.words).toMatch(/verify=true/);
    }
  });

  it('a named cause still wins over a first refresh or an import', () => {
    const inactive = failure('invalid_grant', 'inactive user');
    expect(diagnose(evidence(inactive, { importedNeverRefreshed: true, failedVerification: true }), SALESFORCE_DIAGNOSIS_TEXTS).code).toBe('user_inactive');
  });
});

function describeWords(d: ReturnType<typeof diagnose>) {
  return { ...d, words: [d.summary, ...d.causes, ...d.fix, ...d.prevention.map((p) => p.step)].join(' ') };
}

describe('rule order: the first match wins', () => {
  it.each([
    ['token_limit_evicted beats immediate_expiry_policy', EXPIRED, { newerLiveGrantsForSameProviderUser: 5, failedVerification: true }, 'token_limit_evicted'],
    ['immediate_expiry_policy beats idle_expired', EXPIRED, { failedVerification: true, firstRefreshSinceAuthorization: true, idleSeconds: 40 * 86400 }, 'immediate_expiry_policy'],
    ['unknown_token beats immediate_expiry_or_revoked', EXPIRED, { importedNeverRefreshed: true, firstRefreshSinceAuthorization: true }, 'unknown_token'],
    ['immediate_expiry_or_revoked beats idle_expired', EXPIRED, { firstRefreshSinceAuthorization: true, idleSeconds: 40 * 86400 }, 'immediate_expiry_or_revoked'],
    ['an org spike beats unknown_token', EXPIRED, { importedNeverRefreshed: true, orgSpike: SPIKE }, 'org_wide_revocation'],
    ['a lost outcome beats unknown_token: rotation_lost', EXPIRED, { importedNeverRefreshed: true, rotationUncertain: true }, 'rotation_lost'],
    ['a lost outcome beats immediate_expiry_or_revoked: rotation_lost', EXPIRED, { firstRefreshSinceAuthorization: true, rotationUncertain: true }, 'rotation_lost'],
    ['an org spike beats immediate_expiry_or_revoked', EXPIRED, { firstRefreshSinceAuthorization: true, orgSpike: SPIKE }, 'org_wide_revocation'],
    ['an integration-wide spike does not beat unknown_token', EXPIRED, { importedNeverRefreshed: true, orgSpike: { ...SPIKE, orgId: null } }, 'unknown_token'],
    ['a failed verification is the policy even in an org spike', EXPIRED, { failedVerification: true, orgSpike: SPIKE }, 'immediate_expiry_policy'],
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
      'unknown_token',
      'immediate_expiry_or_revoked',
      'idle_expired',
      'lifetime_expired',
      'rotation_lost',
      'org_wide_revocation',
      'credentials_changed',
      'user_inactive',
      'org_inactive',
      'refresh_ip_blocked',
      'ip_restricted',
      'not_approved',
      'app_not_installed',
      'revoked',
      'client_credentials_disabled',
      'assertion_rejected',
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
    unknown_token: 'developer',
    immediate_expiry_or_revoked: 'end_user',
    idle_expired: 'end_user',
    lifetime_expired: 'end_user',
    rotation_lost: 'end_user',
    org_wide_revocation: 'org_admin',
    credentials_changed: 'end_user',
    user_inactive: 'org_admin',
    org_inactive: 'org_admin',
    ip_restricted: 'org_admin',
    not_approved: 'org_admin',
    app_not_installed: 'org_admin',
    refresh_ip_blocked: 'developer',
    revoked: 'end_user',
    client_credentials_disabled: 'developer',
    assertion_rejected: 'developer',
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
    expect(fixable.sort()).toEqual(['app_not_installed', 'ip_restricted', 'not_approved', 'org_inactive', 'org_wide_revocation', 'refresh_ip_blocked', 'user_inactive']);
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
