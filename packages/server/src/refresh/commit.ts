// Writing a refresh's outcome (docs/design.md "The refresh algorithm", steps 6 and 7): one
// transaction per outcome, holding the connection's write, its event, the rollup count,
// the webhook events its transition causes and the cache notification. A success is a
// compare-and-set on `generation`, retried through database outages — with rotation, the
// token in hand may be the only one left.
import type { AppContext } from '../context.js';
import { isDatabaseUnavailable } from '../db/errors.js';
import { endGrantsOfConnection } from '../db/grant-ledger/end-grants.js';
import { notifyConnectionChanged } from '../db/notify.js';
import { commitRefresh, type RefreshedGrant } from '../db/refresh/commit-refresh.js';
import { countIntegrationErrors, setIntegrationStatus } from '../db/refresh/integration-status.js';
import { completeEvent, type EventOutcome } from '../db/refresh/intent.js';
import { recordFailure } from '../db/refresh/record-failure.js';
import { storeRefresh } from '../db/refresh/store-refresh.js';
import { countRefreshOutcome } from '../db/refresh/refresh-stats.js';
import type { ConnectionRow, IntegrationRow } from '../db/types.js';
import type { Diagnosis } from '../domain/diagnosis.js';
import type { LastError } from '../domain/grants.js';
import { emitConnectionEvent } from '../grants/connection-events.js';
import { recordRetirement, retirementOf } from '../grants/retired-grants.js';
import { toPublicId } from '../model/ids.js';
import { integrationToApi } from '../model/integrations.js';
import { connectionReconnectUrl } from '../model/reconnect-link.js';
import { sealAccessToken, sealRefreshToken } from '../model/secret-places.js';
import { nextRefreshAfterSuccess } from '../policy/schedule.js';
import { emitEvent } from '../webhooks/outbox.js';
import type { ReceivedGrant } from './received-grant.js';
import { announceChange } from './change-notifier.js';
import { integrationFails, successTransition, type FailureTransition } from './transitions.js';
import type { ProviderCall } from './types.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The event row's outcome columns for a call. */
export function callOutcome(call: ProviderCall, outcome: EventOutcome['outcome'], detail: Record<string, unknown> = {}, rotated = false): EventOutcome {
  const failure = call.outcome.ok ? null : call.outcome.failure;
  return {
    outcome,
    httpStatus: failure ? failure.httpStatus : 200,
    error: failure?.error ?? null,
    errorDescription: failure?.errorDescription ?? null,
    durationMs: call.durationMs,
    rotated,
    ...(Object.keys(detail).length > 0 ? { detail } : {}),
  };
}

export type CommittedRefresh = ConnectionRow & { previous_status: string };

/** Stores a refreshed grant; undefined when a newer grant was stored meanwhile (then the caller serves that one). */
export async function commitSuccess(
  ctx: AppContext,
  input: { row: ConnectionRow; integration: IntegrationRow; call: ProviderCall; received: ReceivedGrant; leaseLost: boolean },
): Promise<CommittedRefresh | undefined> {
  const { row, integration, call, received } = input;
  const { update } = received;
  const settings = integration.refresh;
  const detail = { ...received.detail, ...(input.leaseLost ? { lease_lost: true } : {}) };
  const rotated = update.refreshToken !== null;
  // A new refresh token (rotation) replaces the stored one; none back keeps it.
  const rotatedToken = update.refreshToken === null ? null : sealRefreshToken(ctx.keyring, row.id, update.refreshToken);
  const grant: RefreshedGrant = {
    accessTokenEnc: sealAccessToken(ctx.keyring, row.id, update.accessToken),
    refreshTokenEnc: rotatedToken?.enc ?? null,
    refreshTokenFp: rotatedToken?.fp ?? null,
    expiresAt: update.expiresAt,
    instanceUrl: update.instanceUrl,
    idUrl: update.idUrl,
    account: update.account,
    scopes: update.scopes,
    refreshTokenExpiresAt: update.refreshTokenExpiresAt,
    nextRefreshAt: nextRefreshAfterSuccess(settings, update.expiresAt, Date.now()),
  };
  const outcome = callOutcome(call, 'success', detail, rotated);
  // The presented token is rotated out by this commit: an import of it must never replay it.
  const retirement = update.refreshToken === null ? null : retirementOf(ctx, row, update.refreshToken, 'rotated');

  // The window between these two log lines is the only place a crash can lose a rotated
  // token (the fault-injection suite counts kills that land in it).
  ctx.log.debug({ connection: row.id, event: call.eventId, rotated }, 'refresh answered');
  const transition = successTransition(row.status, integration.status);
  // Callers may be waiting on other instances for anything but the scheduler's work: their
  // NOTIFY goes out with the commit; the scheduler's is batched after it.
  const background = call.trigger === 'scheduled' || call.trigger === 'reprobe';
  const announces = transition.recovered || transition.integrationRecovered;
  for (let attempt = 0; ; attempt++) {
    try {
      const committed = announces ? await commitAnnounced() : await storeQuietly();
      if (input.leaseLost) {
        ctx.log.warn({ connection: toPublicId('connection', row.id), stored: committed !== undefined }, 'refresh committed after its lease was lost');
      }
      ctx.log.debug({ connection: row.id, event: call.eventId }, 'refresh stored');
      return committed;
    } catch (error) {
      if (!isDatabaseUnavailable(error) || attempt > 10_000) throw error;
      ctx.log.warn({ err: { message: (error as Error).message }, attempt }, 'storing a refreshed grant failed; retrying');
      await sleep(Math.min(2000, 100 * 2 ** Math.min(attempt, 5)));
    }
  }

  // The usual refresh announces nothing: its whole commit is one statement (one round trip),
  // its NOTIFY one more, shared with the commits around it.
  async function storeQuietly(): Promise<CommittedRefresh | undefined> {
    const stored = await storeRefresh(ctx.db.kysely, {
      connectionId: row.id,
      integrationId: integration.id,
      readGeneration: Number(row.generation),
      grant,
      eventId: call.eventId,
      stored: outcome,
      superseded: { ...outcome, detail: { ...detail, superseded: true } },
      retiredFingerprints: retirement?.fingerprints ?? [],
      notifyInside: !background,
    });
    // Not awaited: the scheduler has nobody waiting; the other instances hear within a batch.
    if (stored && background) void announceChange(ctx, { connectionId: row.id, generation: Number(stored.generation) });
    return stored;
  }

  // A recovery announces itself in the same transaction as the grant it stores.
  function commitAnnounced(): Promise<CommittedRefresh | undefined> {
    return ctx.db.kysely.transaction().execute(async (trx) => {
      const written = await commitRefresh(trx, row.id, Number(row.generation), grant);
      await completeEvent(trx, call.eventId, written ? outcome : { ...outcome, detail: { ...detail, superseded: true } });
      await countRefreshOutcome(trx, integration.id, 'success');
      if (!written) return undefined;
      await recordRetirement(trx, retirement);
      if (transition.recovered) {
        // The integration recovers in this same transaction if it was `error`.
        await emitConnectionEvent(trx, 'connection.recovered', written, { ...integration, status: 'ok' });
      }
      if (transition.integrationRecovered) {
        const recovered = await setIntegrationStatus(trx, integration.id, 'error', 'ok', null);
        if (recovered) await emitEvent(trx, { type: 'integration.recovered', integrationId: integration.id, data: { integration: integrationToApi(recovered, ctx.config.publicUrl) } });
      }
      await notifyConnectionChanged(trx, row.id, Number(written.generation));
      return written;
    });
  }
}

export interface FailureRecord {
  row: ConnectionRow;
  integration: IntegrationRow;
  transition: FailureTransition;
  lastError: LastError;
  diagnosis: Diagnosis;
  classification: { class: string; reason: string };
  call: { eventId: string | null; durationMs: number };
  leaseLost: boolean;
}

/** Records a failed refresh and what its transition announces; undefined when the status moved meanwhile. */
export async function commitFailure(ctx: AppContext, f: FailureRecord): Promise<ConnectionRow | undefined> {
  const { row, integration, transition, lastError, diagnosis } = f;
  const written = await ctx.db.kysely.transaction().execute(async (trx) => {
    if (f.call.eventId) {
      await completeEvent(trx, f.call.eventId, {
        outcome: transition.eventOutcome,
        httpStatus: lastError.http_status,
        error: lastError.error,
        errorDescription: lastError.error_description,
        durationMs: f.call.durationMs,
        rotated: false,
        detail: {
          class: f.classification.class,
          reason: f.classification.reason,
          diagnosis: diagnosis.code,
          ...(f.leaseLost ? { lease_lost: true } : {}),
        },
      });
    }
    await countRefreshOutcome(trx, integration.id, transition.eventOutcome);
    const updated = await recordFailure(trx, row.id, ctx.config.instanceId, {
      from: row.status,
      to: transition.to,
      lastError,
      diagnosis,
      backoffUntil: transition.backoffUntil,
      nextRefreshAt: transition.nextRefreshAt,
      countFailure: true,
      reprobeAttempts: transition.reprobeAttempts,
      outcomeUnknown: transition.eventOutcome === 'unknown',
      integrationError: transition.integrationRefused,
    });
    if (!updated) return undefined;
    switch (transition.announce) {
      case 'connection.refresh_failing':
        await emitConnectionEvent(trx, transition.announce, updated, integration, { data: { last_error: lastError } });
        break;
      case 'connection.reauth_required':
        await endGrantsOfConnection(trx, row.id, diagnosis.code);
        await emitConnectionEvent(trx, transition.announce, updated, integration, {
          data: { diagnosis, reconnect_url: connectionReconnectUrl(ctx, row.id) },
        });
        break;
      case 'connection.diagnosis_changed':
        await emitConnectionEvent(trx, transition.announce, updated, integration, { data: { diagnosis } });
        break;
      case null:
        break;
    }
    if (transition.mayFailIntegration) {
      const { failing, total } = await countIntegrationErrors(trx, integration.id);
      if (integrationFails(failing, total)) {
        const errored = await setIntegrationStatus(trx, integration.id, 'ok', 'error', lastError);
        if (errored) {
          await emitEvent(trx, {
            type: 'integration.error',
            integrationId: integration.id,
            data: { integration: integrationToApi(errored, ctx.config.publicUrl), last_error: lastError, affected_connection_count: total },
          });
        }
      }
    }
    await notifyConnectionChanged(trx, row.id, Number(row.generation));
    return updated;
  });
  ctx.tokenCache.invalidate(row.id);
  if (f.leaseLost) ctx.log.warn({ connection: toPublicId('connection', row.id), stored: written !== undefined }, 'refresh failure recorded after its lease was lost');
  return written;
}
