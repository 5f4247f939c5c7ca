// What a refresh outcome does to a connection (docs/design.md "States"), as pure functions of the
// outcome and the current state: the next status, backoff, next_refresh_at and the events
// to emit. No I/O and no clock of its own (`now` and `random` come in), so the whole table
// is unit-tested without a database; commit.ts writes what these decide.
import type { Diagnosis } from '../domain/diagnosis.js';
import type { ConnectionStatus, IntegrationStatus } from '../domain/grants.js';
import type { Classification } from '../providers/classify.js';
import { isAdminFixable } from '../diagnosis/admin-fixable.js';
import { backoffDelayMs, reprobeDelayMs } from '../policy/schedule.js';
import type { RefreshTrigger } from './types.js';

export interface RetryPolicy {
  backoffBaseMs: number;
  backoffMaxMs: number;
  reprobeBaseS: number;
  reprobeMaxS: number;
}

export interface FailureInput {
  status: ConnectionStatus;
  consecutiveFailures: number;
  reprobeAttempts: number;
  nextRefreshAt: Date | null;
  previousDiagnosis: Pick<Diagnosis, 'code' | 'who_fixes'> | null;
  classification: Classification;
  diagnosis: Pick<Diagnosis, 'code' | 'who_fixes'>;
  trigger: RefreshTrigger;
  /** A timeout or reset after the request went out, on a rotating grant. */
  outcomeUnknown: boolean;
  integrationStatus: IntegrationStatus;
  now: Date;
  policy: RetryPolicy;
  random?: () => number;
}

export type FailureAnnouncement = 'connection.refresh_failing' | 'connection.reauth_required' | 'connection.diagnosis_changed';

export interface FailureTransition {
  to: ConnectionStatus;
  backoffUntil: Date | null;
  nextRefreshAt: Date | null;
  /** Set when the re-probe count changes (a dead grant failed again, or a grant just died). */
  reprobeAttempts?: number;
  eventOutcome: 'transient_error' | 'permanent_error' | 'unknown';
  /** The connection webhook this failure causes, if any (one per transition). */
  announce: FailureAnnouncement | null;
  /** The grant is dead: it leaves the ledger's live grants. */
  endsGrant: boolean;
  /** The integration's own credentials or configuration were refused. */
  integrationRefused: boolean;
  /** Count this integration's refused connections: it may have to turn `error`. */
  mayFailIntegration: boolean;
}

export function failureTransition(input: FailureInput): FailureTransition {
  const { classification, now, policy } = input;
  const dead = input.status === 'needs_reauth';
  const backoff = () =>
    new Date(now.getTime() + backoffDelayMs(input.consecutiveFailures + 1, policy.backoffBaseMs, policy.backoffMaxMs, input.random));
  const eventOutcome = classification.class === 'transient' ? (input.outcomeUnknown ? 'unknown' : 'transient_error') : 'permanent_error';
  const base = { eventOutcome, integrationRefused: classification.class === 'integration', mayFailIntegration: false } as const;

  if (classification.class === 'transient') {
    // A dead grant stays dead (and keeps its re-probe time); a live one retries with backoff.
    if (dead) return { ...base, to: 'needs_reauth', backoffUntil: null, nextRefreshAt: input.nextRefreshAt, announce: null, endsGrant: false };
    const until = backoff();
    return {
      ...base,
      to: 'refresh_failing',
      backoffUntil: until,
      nextRefreshAt: until,
      announce: input.status === 'refresh_failing' ? null : 'connection.refresh_failing',
      endsGrant: false,
    };
  }

  if (classification.class === 'permanent') {
    const reprobeAttempts = dead ? input.reprobeAttempts + 1 : 0;
    // Admin-fixable deaths (an inactive user, an IP policy …) are re-probed, 1 h doubling to 24 h.
    const nextRefreshAt = isAdminFixable(input.diagnosis.code)
      ? new Date(now.getTime() + reprobeDelayMs(reprobeAttempts, policy.reprobeBaseS, policy.reprobeMaxS))
      : null;
    let announce: FailureAnnouncement | null = null;
    if (!dead) announce = 'connection.reauth_required';
    // A re-probe found the dead grant failing for another reason: who must act may have changed.
    else if (input.trigger === 'reprobe' && diagnosisMoved(input.previousDiagnosis, input.diagnosis)) announce = 'connection.diagnosis_changed';
    return { ...base, to: 'needs_reauth', backoffUntil: null, nextRefreshAt, reprobeAttempts, announce, endsGrant: !dead };
  }

  // The integration's credentials or configuration were refused: the connection backs off,
  // the integration (not the connection) changes state.
  const until = backoff();
  return {
    ...base,
    to: input.status,
    backoffUntil: until,
    nextRefreshAt: until,
    announce: null,
    endsGrant: false,
    mayFailIntegration: input.integrationStatus === 'ok',
  };
}

/** An integration turns `error` when two of its connections (or its only one) are refused for it. */
export function integrationFails(refused: number, total: number): boolean {
  return refused >= Math.min(2, total);
}

export interface SuccessTransition {
  /** `refresh_failing` or `needs_reauth` → `active`: `connection.recovered`. */
  recovered: boolean;
  /** The integration was `error`: a working refresh proves its credentials again. */
  integrationRecovered: boolean;
}

export function successTransition(previousStatus: ConnectionStatus, integrationStatus: IntegrationStatus): SuccessTransition {
  return {
    recovered: previousStatus === 'refresh_failing' || previousStatus === 'needs_reauth',
    integrationRecovered: integrationStatus === 'error',
  };
}

/** A dead grant's diagnosis changed in what matters to the product: its code or who must act. */
function diagnosisMoved(previous: Pick<Diagnosis, 'code' | 'who_fixes'> | null, next: Pick<Diagnosis, 'code' | 'who_fixes'>): boolean {
  return !previous || previous.code !== next.code || previous.who_fixes !== next.who_fixes;
}
