// What an answered provider call leads to, for the engine: a success is read and committed
// and its token served; a failure is classified, diagnosed, turned into a transition,
// written, and answered as the caller should see it.
import type { AppContext } from '../context.js';
import { findConnection } from '../db/connections/find-connection.js';
import { findIntegrationById } from '../db/integrations/find-integration.js';
import type { ConnectionRow, IntegrationRow } from '../db/types.js';
import { diagnoseRefreshFailure } from '../diagnosis/evidence.js';
import { describeLastError } from '../diagnosis/last-error.js';
import type { TokenSuccess } from '../oauth/refresh-grant.js';
import { outcomeMayBeUnknown, type Classification, type ProviderFailure } from '../providers/classify.js';
import { commitFailure, commitSuccess } from './commit.js';
import { countRefresh } from './provider-call.js';
import { readReceivedGrant } from './received-grant.js';
import { storedToken, tokenEntry } from './stored-token.js';
import { failureTransition } from './transitions.js';
import type { AttemptOptions, AttemptResult, EngineHooks, ProviderCall } from './types.js';

export async function refreshSucceeded(
  ctx: AppContext,
  hooks: EngineHooks,
  input: { row: ConnectionRow; integration: IntegrationRow; call: ProviderCall; success: TokenSuccess; clientSecret: string | null; leaseLost: boolean },
): Promise<AttemptResult> {
  const { row, integration, call } = input;
  const received = readReceivedGrant(ctx, row, integration, input.success, input.clientSecret);
  const committed = await commitSuccess(ctx, { row, integration, call, received, leaseLost: input.leaseLost });
  countRefresh(ctx, integration, call.trigger, 'success', null);
  hooks.onRefreshOutcome?.({ integrationId: integration.id, connectionId: row.id, orgId: row.org_id, permanent: false });
  if (!committed) {
    // Someone stored a newer grant meanwhile (only after our lease lapsed): serve theirs.
    const latest = await findConnection(ctx.db.kysely, row.id);
    const token = latest ? storedToken(ctx, latest, integration.refresh) : null;
    if (latest && token) return { kind: 'token', token, refreshedAt: latest.last_refreshed_at };
    return { kind: 'unavailable', retryAfterS: 1, reason: 'superseded' };
  }
  const token = tokenEntry(committed, received.update.accessToken, received.update.expiresAt, integration.refresh);
  ctx.tokenCache.set(token);
  return { kind: 'token', token, refreshedAt: committed.last_refreshed_at };
}

export async function refreshFailed(
  ctx: AppContext,
  hooks: EngineHooks,
  input: {
    row: ConnectionRow;
    integration: IntegrationRow;
    failure: ProviderFailure;
    options: AttemptOptions;
    call: { eventId: string | null; durationMs: number; trigger: string };
    leaseLost: boolean;
  },
): Promise<AttemptResult> {
  const { row, integration, failure, options, call, leaseLost } = input;
  const { config } = ctx;
  const classification = ctx.providers.classify(integration.provider, failure);
  const now = new Date();
  const diagnosis = await diagnoseRefreshFailure(ctx, row, integration, failure, classification, now, { verifying: options.trigger === 'connect' });
  if (classification.alert) {
    ctx.metrics.alerts.inc({ kind: `provider_${classification.reason}` });
    ctx.log.warn({ integration: integration.key, reason: classification.reason, http_status: failure.httpStatus }, 'unexpected provider answer');
  }
  if (classification.rateLimited) hooks.onRateLimited?.(integration.id);
  const transition = failureTransition({
    status: row.status,
    consecutiveFailures: row.consecutive_failures,
    reprobeAttempts: row.reprobe_attempts,
    nextRefreshAt: row.next_refresh_at,
    previousDiagnosis: row.diagnosis,
    classification,
    diagnosis,
    trigger: options.trigger,
    outcomeUnknown: (ctx.providers.describe(integration.provider)?.rotating ?? true) && outcomeMayBeUnknown(failure),
    integrationStatus: integration.status,
    now,
    policy: { backoffBaseMs: config.refresh.backoffBaseMs, backoffMaxMs: config.refresh.backoffMaxMs, reprobeBaseS: config.scheduler.reprobeBaseS, reprobeMaxS: config.scheduler.reprobeMaxS },
  });
  const lastError = describeLastError(failure, now);
  const written = await commitFailure(ctx, { row, integration, transition, lastError, diagnosis, classification, call, leaseLost });
  countRefresh(ctx, integration, call.trigger, transition.eventOutcome, failure.error);
  hooks.onRefreshOutcome?.({ integrationId: integration.id, connectionId: row.id, orgId: row.org_id, permanent: classification.class === 'permanent' });

  const current = written ?? (await findConnection(ctx.db.kysely, row.id)) ?? row;
  const latestIntegration = (await findIntegrationById(ctx.db.kysely, integration.id)) ?? integration;
  return answerAfterFailure(ctx, current, latestIntegration, classification, options);
}

/** What the caller gets after a failure: the dead grant's problem, the still-valid token, or a retry time. */
function answerAfterFailure(ctx: AppContext, row: ConnectionRow, integration: IntegrationRow, classification: Classification, options: AttemptOptions): AttemptResult {
  if (classification.class === 'integration' || integration.status === 'error') return { kind: 'integration_error', row, integration };
  if (classification.class === 'permanent' || row.status === 'needs_reauth') return { kind: 'reauth_required', row, integration };
  const token = storedToken(ctx, row, integration.refresh);
  if (token && !options.force && token.expiresAt.getTime() > Date.now()) {
    return { kind: 'token', token, refreshedAt: row.last_refreshed_at, warning: 'refresh_failed' };
  }
  const retryAfterS = row.backoff_until ? Math.max(1, (row.backoff_until.getTime() - Date.now()) / 1000) : 1;
  return { kind: 'unavailable', retryAfterS, reason: classification.reason };
}
