// The state machine of a refresh outcome as a table (docs/design.md "States"), without a database:
// current state + classified failure → next status, backoff, next_refresh_at, the event to
// emit and what else the commit must do.
import { describe, expect, it } from 'vitest';
import type { Diagnosis, DiagnosisCode } from '../src/domain/diagnosis.js';
import type { ConnectionStatus, IntegrationStatus } from '../src/domain/grants.js';
import type { Classification, ErrorClass } from '../src/providers/classify.js';
import { failureTransition, integrationFails, successTransition, type FailureInput } from '../src/refresh/transitions.js';
import type { RefreshTrigger } from '../src/refresh/types.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const POLICY = { backoffBaseMs: 30_000, backoffMaxMs: 3_600_000, reprobeBaseS: 3600, reprobeMaxS: 86_400 };
const LATER = new Date('2026-03-02T12:00:00Z');

const classification = (cls: ErrorClass, reason = 'x'): Classification => ({ class: cls, alert: false, rateLimited: false, reason });
const diagnosis = (code: DiagnosisCode, who: Diagnosis['who_fixes']) => ({ code, who_fixes: who });

function input(over: Partial<FailureInput> & { cls: ErrorClass }): FailureInput {
  const { cls, ...rest } = over;
  return {
    status: 'active',
    consecutiveFailures: 0,
    reprobeAttempts: 0,
    nextRefreshAt: LATER,
    previousDiagnosis: null,
    classification: classification(cls),
    diagnosis: cls === 'transient' ? diagnosis('provider_unavailable', 'nobody_transient') : cls === 'permanent' ? diagnosis('revoked', 'end_user') : diagnosis('client_credentials_invalid', 'developer'),
    trigger: 'on_demand',
    outcomeUnknown: false,
    integrationStatus: 'ok',
    now: NOW,
    policy: POLICY,
    random: () => 0.5,
    ...rest,
  };
}

describe('failureTransition', () => {
  type Row = [
    what: string,
    status: ConnectionStatus,
    cls: ErrorClass,
    extra: Partial<FailureInput>,
    expected: { to: ConnectionStatus; announce: string | null; outcome: string; endsGrant: boolean; backsOff: boolean; mayFailIntegration: boolean },
  ];
  const rows: Row[] = [
    ['active + transient → refresh_failing, announced, backoff', 'active', 'transient', {}, { to: 'refresh_failing', announce: 'connection.refresh_failing', outcome: 'transient_error', endsGrant: false, backsOff: true, mayFailIntegration: false }],
    ['failing + transient → still failing, not announced again', 'refresh_failing', 'transient', {}, { to: 'refresh_failing', announce: null, outcome: 'transient_error', endsGrant: false, backsOff: true, mayFailIntegration: false }],
    ['timeout after sending on a rotating grant → outcome unknown', 'active', 'transient', { outcomeUnknown: true }, { to: 'refresh_failing', announce: 'connection.refresh_failing', outcome: 'unknown', endsGrant: false, backsOff: true, mayFailIntegration: false }],
    ['dead + transient (a re-probe that hit an outage) → stays dead, no backoff', 'needs_reauth', 'transient', { trigger: 'reprobe' }, { to: 'needs_reauth', announce: null, outcome: 'transient_error', endsGrant: false, backsOff: false, mayFailIntegration: false }],
    ['active + permanent → needs_reauth, announced, grant ends', 'active', 'permanent', {}, { to: 'needs_reauth', announce: 'connection.reauth_required', outcome: 'permanent_error', endsGrant: true, backsOff: false, mayFailIntegration: false }],
    ['failing + permanent → needs_reauth, announced', 'refresh_failing', 'permanent', {}, { to: 'needs_reauth', announce: 'connection.reauth_required', outcome: 'permanent_error', endsGrant: true, backsOff: false, mayFailIntegration: false }],
    ['dead + permanent, same diagnosis on re-probe → nothing announced', 'needs_reauth', 'permanent', { trigger: 'reprobe', previousDiagnosis: diagnosis('revoked', 'end_user') }, { to: 'needs_reauth', announce: null, outcome: 'permanent_error', endsGrant: false, backsOff: false, mayFailIntegration: false }],
    ['dead + permanent, new diagnosis on re-probe → diagnosis_changed', 'needs_reauth', 'permanent', { trigger: 'reprobe', previousDiagnosis: diagnosis('user_inactive', 'org_admin') }, { to: 'needs_reauth', announce: 'connection.diagnosis_changed', outcome: 'permanent_error', endsGrant: false, backsOff: false, mayFailIntegration: false }],
    ['dead + permanent, new diagnosis on an operator\'s try → not announced', 'needs_reauth', 'permanent', { trigger: 'forced', previousDiagnosis: diagnosis('user_inactive', 'org_admin') }, { to: 'needs_reauth', announce: null, outcome: 'permanent_error', endsGrant: false, backsOff: false, mayFailIntegration: false }],
    ['active + integration error → status kept, backoff, integration may fail', 'active', 'integration', {}, { to: 'active', announce: null, outcome: 'permanent_error', endsGrant: false, backsOff: true, mayFailIntegration: true }],
    ['integration already error → it is not failed again', 'active', 'integration', { integrationStatus: 'error' as IntegrationStatus }, { to: 'active', announce: null, outcome: 'permanent_error', endsGrant: false, backsOff: true, mayFailIntegration: false }],
  ];

  it.each(rows)('%s', (_what, status, cls, extra, expected) => {
    const t = failureTransition(input({ status, cls, ...extra }));
    expect({
      to: t.to,
      announce: t.announce,
      outcome: t.eventOutcome,
      endsGrant: t.endsGrant,
      backsOff: t.backoffUntil !== null,
      mayFailIntegration: t.mayFailIntegration,
    }).toEqual(expected);
    expect(t.integrationRefused).toBe(cls === 'integration');
    if (t.backoffUntil) expect(t.nextRefreshAt).toEqual(t.backoffUntil);
  });

  it('backoff is exponential with full jitter, bounded by the maximum', () => {
    const delay = (failures: number, random: number) =>
      failureTransition(input({ cls: 'transient', consecutiveFailures: failures, random: () => random })).backoffUntil!.getTime() - NOW.getTime();
    expect(delay(0, 0.5)).toBe(15_000); // first failure: uniform in [0, 30 s]
    expect(delay(1, 0.5)).toBe(30_000); // second: [0, 60 s]
    expect(delay(3, 0.5)).toBe(120_000);
    expect(delay(30, 0.999)).toBeLessThanOrEqual(POLICY.backoffMaxMs);
    expect(delay(0, 0)).toBe(1000); // never sooner than a second
  });

  it('admin-fixable deaths are re-probed, 1 h doubling to 24 h; the others are not scheduled', () => {
    const reprobe = (code: DiagnosisCode, status: ConnectionStatus, attempts: number, trigger: RefreshTrigger = 'reprobe') => {
      const t = failureTransition(input({ cls: 'permanent', status, reprobeAttempts: attempts, trigger, diagnosis: diagnosis(code, 'org_admin') }));
      return { at: t.nextRefreshAt && (t.nextRefreshAt.getTime() - NOW.getTime()) / 3_600_000, attempts: t.reprobeAttempts };
    };
    expect(reprobe('user_inactive', 'active', 0, 'on_demand')).toEqual({ at: 1, attempts: 0 });
    expect(reprobe('user_inactive', 'needs_reauth', 0)).toEqual({ at: 2, attempts: 1 });
    expect(reprobe('ip_restricted', 'needs_reauth', 2)).toEqual({ at: 8, attempts: 3 });
    expect(reprobe('not_approved', 'needs_reauth', 9)).toEqual({ at: 24, attempts: 10 });
    expect(reprobe('revoked', 'active', 0, 'on_demand')).toEqual({ at: null, attempts: 0 });
  });
});

describe('integrationFails', () => {
  it.each([
    [1, 1, true],
    [1, 2, false],
    [2, 2, true],
    [2, 50, true],
    [1, 50, false],
  ])('%i refused of %i → %s', (refused, total, fails) => expect(integrationFails(refused, total)).toBe(fails));
});

describe('successTransition', () => {
  it.each([
    ['active', 'ok', { recovered: false, integrationRecovered: false }],
    ['refresh_failing', 'ok', { recovered: true, integrationRecovered: false }],
    ['needs_reauth', 'ok', { recovered: true, integrationRecovered: false }],
    ['active', 'error', { recovered: false, integrationRecovered: true }],
  ] as const)('%s with the integration %s', (status, integrationStatus, expected) => {
    expect(successTransition(status, integrationStatus)).toEqual(expected);
  });
});
