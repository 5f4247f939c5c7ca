// Salesforce's answers to the server-to-server grants, classified and diagnosed (pure): the
// same wire text can mean different things on different grants, so the grant type decides.
import { describe, expect, it } from 'vitest';
import { diagnose } from '../src/diagnosis/diagnose.js';
import type { DiagnosisEvidence } from '../src/diagnosis/types.js';
import { classifyProviderFailure, type GrantType, type ProviderFailure } from '../src/providers/classify.js';
import { genericModule } from '../src/providers/generic/module.js';
import { GENERIC_DIAGNOSIS_TEXTS } from '../src/providers/generic/texts.js';
import type { ProviderModule } from '../src/providers/module-types.js';
import { salesforceModule } from '../src/providers/salesforce/module.js';
import { SALESFORCE_DIAGNOSIS_TEXTS } from '../src/providers/salesforce/texts.js';
import { failure } from './helpers/failures.js';

const on = (grantType: GrantType, error: string, description: string): ProviderFailure => failure(error, description, { grantType });

function evidence(f: ProviderFailure, module: ProviderModule = salesforceModule): DiagnosisEvidence {
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
  };
}

describe('Salesforce server-to-server answers', () => {
  it.each([
    ['jwt_bearer', 'invalid_grant', "user hasn't approved this consumer", 'permanent', 'not_approved', 'org_admin'],
    ['jwt_bearer', 'invalid_grant', 'invalid assertion', 'integration', 'assertion_rejected', 'developer'],
    ['jwt_bearer', 'invalid_grant', 'audience is invalid', 'integration', 'assertion_rejected', 'developer'],
    ['jwt_bearer', 'invalid_grant', 'expired authorization code', 'integration', 'assertion_rejected', 'developer'],
    ['jwt_bearer', 'invalid_client_id', 'client identifier invalid', 'integration', 'client_credentials_invalid', 'developer'],
    ['jwt_bearer', 'invalid_grant', 'inactive user', 'permanent', 'user_inactive', 'org_admin'],
    ['client_credentials', 'invalid_grant', 'no client credentials user enabled', 'integration', 'client_credentials_disabled', 'developer'],
    ['client_credentials', 'invalid_client', 'invalid client credentials', 'integration', 'client_credentials_invalid', 'developer'],
    ['client_credentials', 'invalid_request', 'request not supported on this domain', 'integration', 'grant_type_unsupported', 'developer'],
    // The same words on a refresh: someone else is refreshing the token (transient), not a bad assertion.
    ['refresh_token', 'invalid_grant', 'expired authorization code', 'transient', 'provider_unavailable', 'nobody_transient'],
  ] as const)('%s: %s / %s → %s, %s (%s)', (grantType, error, description, cls, code, who) => {
    const e = evidence(on(grantType, error, description));
    expect(e.classification.class).toBe(cls);
    const d = diagnose(e, SALESFORCE_DIAGNOSIS_TEXTS);
    expect(d.code).toBe(code);
    expect(d.who_fixes).toBe(who);
  });

  it('a generic provider reads no Salesforce wording: a bare invalid_grant on a JWT Bearer grant is the grant refused', () => {
    const d = diagnose(evidence(on('jwt_bearer', 'invalid_grant', 'invalid assertion'), genericModule), GENERIC_DIAGNOSIS_TEXTS);
    expect(d.code).toBe('revoked');
  });

  it('every server-to-server diagnosis has words for both modules, written for the developer', () => {
    for (const texts of [SALESFORCE_DIAGNOSIS_TEXTS, GENERIC_DIAGNOSIS_TEXTS]) {
      for (const code of ['client_credentials_disabled', 'assertion_rejected'] as const) {
        const text = texts[code]({ provider: 'Acme' });
        expect(text.who_fixes).toBe('developer');
        expect(text.summary).toContain('Acme');
        expect(text.fix.length).toBeGreaterThan(0);
      }
    }
  });
});
