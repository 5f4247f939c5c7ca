// The refresh engine (DESIGN.md "The refresh algorithm"): at most one provider call per
// connection at a time, however many callers and instances ask; a rotated refresh token is
// never dropped; every failure is classified, explained and, on a state change, announced.
//
//   single-flight in the process → row lease in the database (database time) → re-read →
//   intent event → provider call (lease renewed) → compare-and-set commit, or a classified
//   failure (a permanent one confirmed by one retry inside the lease).
import type { AppContext } from '../context.js';
import { decryptSecret, encryptSecret } from '../crypto/envelope.js';
import { refreshTokenFingerprint } from '../crypto/hashing.js';
import { findConnection } from '../db/connections/find-connection.js';
import { nextEventSequence } from '../db/connections/next-event-sequence.js';
import { endGrantsOfConnection } from '../db/grant-ledger/end-grants.js';
import { findIntegrationById } from '../db/integrations/find-integration.js';
import { notifyConnectionChanged } from '../db/notify.js';
import { acquireLease } from '../db/refresh/acquire-lease.js';
import { commitRefresh } from '../db/refresh/commit-refresh.js';
import { countIntegrationErrors, setIntegrationStatus } from '../db/refresh/integration-status.js';
import { completeEvent, resolveOrphanedIntent, writeIntent, type EventOutcome } from '../db/refresh/intent.js';
import { recordFailure } from '../db/refresh/record-failure.js';
import { countRefreshOutcome } from '../db/refresh/refresh-stats.js';
import { releaseLease, renewLease } from '../db/refresh/renew-lease.js';
import type { ConnectionStatus, RefreshSettings } from '../domain/grants.js';
import type { ConnectionRow, IntegrationRow } from '../db/types.js';
import { isAdminFixable } from '../diagnosis/admin-fixable.js';
import { diagnoseRefreshFailure } from '../diagnosis/evidence.js';
import { describeLastError } from '../diagnosis/last-error.js';
import type { Diagnosis } from '../domain/diagnosis.js';
import { DomainError, notFound } from '../errors.js';
import { connectionToApi } from '../model/connection-view.js';
import { clientSecretOf, connectionSecretPlace } from '../model/secret-places.js';
import { newRowId, toPublicId } from '../model/ids.js';
import { integrationToApi } from '../model/integrations.js';
import { reconnectUrl } from '../model/reconnect-link.js';
import { oauthClient, type OAuthClient } from '../oauth/client.js';
import { createGuardedFetch, type GuardedFetch } from '../outbound/guarded-fetch.js';
import { refreshGrant, type TokenOutcome } from '../oauth/refresh-grant.js';
import { classifyProviderFailure, outcomeMayBeUnknown, type Classification, type ProviderFailure } from '../providers/classify.js';
import type { ProviderModule } from '../providers/module-types.js';
import { providerModule } from '../providers/modules.js';
import { emitEvent } from '../webhooks/outbox.js';
import { backoffDelayMs, nextRefreshAfterSuccess, reprobeDelayMs } from '../policy/schedule.js';
import type { CachedToken } from './token-cache.js';
import { toTokenView, type Refresher, type TokenResult } from './token-service.js';

export type RefreshTrigger = 'on_demand' | 'scheduled' | 'forced' | 'reprobe' | 'import';

export interface AttemptOptions {
  trigger: RefreshTrigger;
  /** Refresh even if the stored token is valid (skipped if the grant changed after `arrivedAt`). */
  force: boolean;
  arrivedAt: Date;
  /** Give up waiting for another holder's lease at this time (ms since epoch). */
  deadline: number;
  minValidS: number | null;
}

export type AttemptResult =
  | { kind: 'token'; token: CachedToken; refreshedAt: Date | null; warning?: 'refresh_failed' }
  | { kind: 'reauth_required'; row: ConnectionRow; integration: IntegrationRow }
  | { kind: 'integration_error'; row: ConnectionRow; integration: IntegrationRow }
  | { kind: 'unavailable'; retryAfterS: number; reason: string }
  | { kind: 'in_progress' };

interface CallResult {
  outcome: TokenOutcome;
  eventId: string;
  durationMs: number;
  trigger: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Errors of the database itself (not of a provider): the commit is retried through them. */
function isTransientDatabaseError(error: unknown): boolean {
  const code = (error as { code?: string }).code ?? '';
  return /^(08|57P|53)/.test(code) || ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(code) ||
    /Connection terminated|connect ECONNREFUSED|timeout exceeded|Client has encountered a connection error/i.test(String((error as Error)?.message));
}

/** A dead grant's diagnosis changed in what matters to the product: its code or who must act. */
function diagnosisMoved(previous: unknown, next: Diagnosis): boolean {
  const old = previous as { code?: string; who_fixes?: string } | null;
  return !old || old.code !== next.code || old.who_fixes !== next.who_fixes;
}

export class RefreshEngine implements Refresher {
  private readonly inflight = new Map<string, Promise<AttemptResult>>();
  private stopping = false;
  readonly fetch: GuardedFetch;
  /** Told when a provider answers 429 / rate_limit_exceeded (the scheduler halves the rate). */
  onRateLimited: ((integrationId: string) => void) | null = null;
  /** Told after every provider call (the spike detector counts operations). */
  onRefreshOutcome: ((event: { integrationId: string; connectionId: string; orgId: string | null; permanent: boolean }) => void) | null = null;
  /**
   * Awaited before an on-demand provider call (the shared rate limit: it may overdraw, and
   * waits at most GRANTKEEPER_RATE_OVERDRAFT_MS). Scheduled work took its token before claiming the lease.
   */
  beforeProviderCall: ((integrationId: string, maxPerS: number) => Promise<void>) | null = null;

  constructor(private readonly ctx: AppContext) {
    this.fetch = createGuardedFetch(
      { allowPrivateNetwork: ctx.config.allowPrivateNetwork },
      { timeoutMs: ctx.config.refresh.tokenTimeoutMs },
    );
  }

  // ── entry points ──────────────────────────────────────────────────────────────────────

  /** The token path: a fresh token, or the problem the API answers with. */
  async refreshForCaller(
    connectionId: string,
    options: { force: boolean; minValidS: number; waitMs: number; arrivedAt: Date; trigger: 'on_demand' | 'forced' },
  ): Promise<TokenResult> {
    const deadline = options.arrivedAt.getTime() + options.waitMs;
    const attempt = { trigger: options.trigger, force: options.force, arrivedAt: options.arrivedAt, deadline, minValidS: options.minValidS };
    // `wait_ms` bounds the wait for ANOTHER instance's lease (inside the attempt); a refresh
    // this process is making is simply awaited (it is bounded by the token timeout).
    let result = await this.singleFlight(connectionId, attempt);
    // A forced caller that joined a shared attempt needs a grant newer than its own arrival.
    if (options.force && result.kind === 'token' && (result.refreshedAt === null || result.refreshedAt < options.arrivedAt)) {
      result = await this.singleFlight(connectionId, attempt);
    }
    return this.toTokenResult(result);
  }

  /** An operator's "try now" (`POST …/refresh`): ignores backoff; on a dead grant makes exactly one call. */
  async refreshForced(connectionId: string): Promise<TokenResult> {
    const arrivedAt = new Date();
    const deadline = arrivedAt.getTime() + this.ctx.config.refresh.waitMsDefault;
    const result = await this.singleFlight(connectionId, { trigger: 'forced', force: true, arrivedAt, deadline, minValidS: null });
    return this.toTokenResult(result);
  }

  /** Scheduler, import verification and re-probes: one attempt, result returned as data. */
  async refreshInBackground(connectionId: string, trigger: 'scheduled' | 'reprobe' | 'import'): Promise<AttemptResult> {
    const arrivedAt = new Date();
    return this.singleFlight(connectionId, {
      trigger,
      force: true,
      arrivedAt,
      deadline: arrivedAt.getTime() + this.ctx.config.refresh.waitMsDefault,
      minValidS: null,
    });
  }

  /** Stop taking work; let refreshes in flight finish and store their outcome. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.inflight.values()]);
  }

  get inFlight(): number {
    return this.inflight.size;
  }

  // ── single flight, lease, re-read ─────────────────────────────────────────────────────

  private singleFlight(connectionId: string, options: AttemptOptions): Promise<AttemptResult> {
    const key = `${connectionId}:${options.force ? 'force' : 'ensure'}`;
    const existing = this.inflight.get(key);
    if (existing) return existing;
    const promise = this.attempt(connectionId, options).finally(() => this.inflight.delete(key));
    this.inflight.set(key, promise);
    return promise;
  }

  private async attempt(id: string, options: AttemptOptions): Promise<AttemptResult> {
    const { db, config } = this.ctx;
    if (this.stopping) return { kind: 'unavailable', retryAfterS: 1, reason: 'shutting_down' };
    for (let waited = false; ; ) {
      const row = await findConnection(db.kysely, id);
      if (!row) throw notFound(`Connection "${toPublicId('connection', id)}"`);
      const integration = await findIntegrationById(db.kysely, row.integration_id);
      if (!integration) throw notFound(`Connection "${toPublicId('connection', id)}"`);
      const early = this.answerWithoutCalling(row, integration, options);
      if (early) {
        if (waited) this.ctx.metrics.leaseWaits.inc({ result: 'served_by_other' });
        return early;
      }
      const leased = await acquireLease(db.kysely, id, config.instanceId, config.refresh.leaseTtlMs, config.refresh.intentGraceS);
      if (!leased) {
        if (Date.now() >= options.deadline) {
          this.ctx.metrics.leaseWaits.inc({ result: 'timed_out' });
          return { kind: 'in_progress' };
        }
        waited = true;
        await sleep(Math.min(config.refresh.leasePollMs, Math.max(1, options.deadline - Date.now())));
        continue;
      }
      return this.withLease(leased, options);
    }
  }

  private async withLease(leased: ConnectionRow, options: AttemptOptions): Promise<AttemptResult> {
    const { db, config } = this.ctx;
    let released = false;
    try {
      if (leased.refresh_intent_id) {
        // The previous holder wrote an intent and vanished: we never learned what the provider did.
        await resolveOrphanedIntent(db.kysely, leased.id, leased.refresh_intent_id);
        leased = (await findConnection(db.kysely, leased.id)) ?? leased;
      }
      const integration = await findIntegrationById(db.kysely, leased.integration_id);
      if (!integration) throw notFound('Integration');
      // Re-read under the lease: refreshed by another holder meanwhile?
      const early = this.answerWithoutCalling(leased, integration, options);
      if (early) return early;
      const result = await this.refreshHoldingLease(leased, integration, options);
      released = true; // commit and failure writes clear the lease in the same statement
      return result;
    } finally {
      if (!released) await releaseLease(db.kysely, leased.id, config.instanceId).catch(() => {});
    }
  }

  /** What can be answered from the stored row, without a provider call; null = refresh. */
  private answerWithoutCalling(row: ConnectionRow, integration: IntegrationRow, options: AttemptOptions): AttemptResult | null {
    const explicit = options.trigger === 'forced' || options.trigger === 'reprobe';
    if (integration.status === 'error' && !explicit) return { kind: 'integration_error', row, integration };
    if (row.status === 'needs_reauth' && !explicit) return { kind: 'reauth_required', row, integration };
    const settings = integration.refresh as RefreshSettings;
    const token = this.storedToken(row, settings);
    const now = Date.now();
    if (options.force) {
      if (token && row.last_refreshed_at && row.last_refreshed_at >= options.arrivedAt) {
        return { kind: 'token', token, refreshedAt: row.last_refreshed_at };
      }
    } else if (token && token.expiresAt.getTime() - now >= (options.minValidS ?? settings.margin_s) * 1000) {
      return { kind: 'token', token, refreshedAt: row.last_refreshed_at };
    }
    const backingOff = row.backoff_until !== null && row.backoff_until.getTime() > now;
    if (backingOff && (options.trigger === 'on_demand' || options.trigger === 'scheduled')) {
      if (token && !options.force && token.expiresAt.getTime() > now) {
        return { kind: 'token', token, refreshedAt: row.last_refreshed_at, warning: 'refresh_failed' };
      }
      return { kind: 'unavailable', retryAfterS: (row.backoff_until!.getTime() - now) / 1000, reason: 'backing_off' };
    }
    return null;
  }

  private storedToken(row: ConnectionRow, settings: RefreshSettings): CachedToken | null {
    if (!row.access_token_enc || !row.access_token_expires_at) return null;
    const generation = Number(row.generation);
    const cached = this.ctx.tokenCache.peek(row.id);
    if (cached && cached.generation === generation) return cached;
    return {
      connectionId: row.id,
      generation,
      accessToken: decryptSecret(this.ctx.keyring, row.access_token_enc, connectionSecretPlace(row.id, 'access_token_enc')),
      expiresAt: row.access_token_expires_at,
      instanceUrl: row.instance_url,
      marginS: settings.margin_s,
      accessTokenTtlS: settings.access_token_ttl_s,
      checkedAt: Date.now(),
    };
  }

  // ── the provider call ─────────────────────────────────────────────────────────────────

  private async refreshHoldingLease(row: ConnectionRow, integration: IntegrationRow, options: AttemptOptions): Promise<AttemptResult> {
    const { ctx } = this;
    const module = providerModule(integration.provider);
    const clientSecret = clientSecretOf(ctx.keyring, integration);
    const endpoints = ctx.providers.endpoints(
      {
        provider: integration.provider,
        clientId: integration.client_id,
        scopes: integration.scopes as string[],
        authBaseUrl: integration.auth_base_url,
        providerConfig: integration.provider_config as Record<string, string>,
      },
      row.connection_config as Record<string, string>,
    );
    const client = oauthClient({
      endpoints,
      clientId: integration.client_id,
      clientSecret,
      fetch: this.fetch,
      allowInsecure: ctx.config.allowPrivateNetwork !== false,
    });
    if (!row.refresh_token_enc) {
      const failure: ProviderFailure = {
        kind: 'oauth_error', grantType: 'refresh_token', httpStatus: null, error: 'invalid_grant',
        errorDescription: 'no refresh token is stored for this connection', bodyWasJson: false, requestSent: false,
      };
      return this.storeFailure(row, integration, module, failure, null, options, { eventId: null, durationMs: 0 });
    }
    const refreshToken = decryptSecret(ctx.keyring, row.refresh_token_enc, connectionSecretPlace(row.id, 'refresh_token_enc'));
    // A dead grant or rejected integration is probed with exactly one call (no confirmation retry).
    const singleCall = row.status === 'needs_reauth' || integration.status === 'error';

    const renewal = this.keepLeaseAlive(row.id);
    try {
      if (this.beforeProviderCall && options.trigger !== 'scheduled' && options.trigger !== 'reprobe') {
        await this.beforeProviderCall(integration.id, (integration.refresh as RefreshSettings).max_per_s).catch(() => {});
      }
      let call = await this.callProvider(row, integration, client, refreshToken, endpoints.tokenParams, options.trigger);
      if (!call.outcome.ok) {
        const classification = classifyProviderFailure(call.outcome.failure, module.classificationRules);
        if (classification.class === 'permanent' && !singleCall) {
          // The seed's "retry once": confirm a permanent answer before declaring the grant dead.
          await completeEvent(ctx.db.kysely, call.eventId, this.eventOutcome(call, 'permanent_error', { confirming: true }));
          this.countOutcome(integration, call.trigger, 'permanent_error', call.outcome.failure.error);
          await sleep(ctx.config.refresh.confirmRetryMs);
          call = await this.callProvider(row, integration, client, refreshToken, endpoints.tokenParams, 'retry');
        }
      }
      if (call.outcome.ok) return await this.storeSuccess(row, integration, module, call, clientSecret);
      return await this.storeFailure(row, integration, module, call.outcome.failure, call.trigger, options, call);
    } finally {
      renewal.stop();
    }
  }

  private async callProvider(
    row: ConnectionRow,
    integration: IntegrationRow,
    client: OAuthClient,
    refreshToken: string,
    tokenParams: Record<string, string>,
    trigger: string,
  ): Promise<CallResult> {
    const eventId = newRowId();
    await writeIntent(this.ctx.db.kysely, {
      eventId,
      connectionId: row.id,
      integrationId: integration.id,
      trigger,
      instanceId: this.ctx.config.instanceId,
    });
    this.ctx.log.debug({ connection: row.id, event: eventId }, 'refresh sent');
    const started = performance.now();
    const outcome = await refreshGrant(client, refreshToken, { params: tokenParams });
    const durationMs = Math.round(performance.now() - started);
    this.ctx.metrics.refreshDuration.observe({ integration: integration.key, provider: integration.provider }, durationMs / 1000);
    return { outcome, eventId, durationMs, trigger };
  }

  /** Renews the lease every third of its lifetime while the provider call runs. */
  private keepLeaseAlive(id: string): { stop(): void } {
    const { db, config } = this.ctx;
    const timer = setInterval(() => {
      renewLease(db.kysely, id, config.instanceId, config.refresh.leaseTtlMs).catch(() => {});
    }, Math.max(50, Math.floor(config.refresh.leaseTtlMs / 3)));
    timer.unref();
    return { stop: () => clearInterval(timer) };
  }

  // ── success ───────────────────────────────────────────────────────────────────────────

  private async storeSuccess(
    row: ConnectionRow,
    integration: IntegrationRow,
    module: ProviderModule,
    call: CallResult,
    clientSecret: string | null,
  ): Promise<AttemptResult> {
    const { ctx } = this;
    if (!call.outcome.ok) throw new Error('storeSuccess needs a successful outcome');
    const settings = integration.refresh as RefreshSettings;
    const update = module.interpretTokenResponse(call.outcome.body, {
      receivedAt: call.outcome.receivedAt,
      accessTokenTtlS: settings.access_token_ttl_s,
      clientSecret,
      authorizedAt: row.authorized_at,
      refreshTokenAbsoluteTtlS: ctx.providers.describe(integration.provider)?.refreshTokenAbsoluteTtlS ?? null,
    });
    const detail: Record<string, unknown> = {};
    if (update.clockSkewS !== null) {
      ctx.metrics.clockSkew.set({ integration: integration.key }, update.clockSkewS);
      if (Math.abs(update.clockSkewS) > ctx.config.refresh.clockSkewAlertS) {
        detail.clock_skew_s = Math.round(update.clockSkewS);
        ctx.log.warn({ integration: integration.key, skew_s: update.clockSkewS }, 'provider clock skew above the alert threshold');
      }
    }
    if (update.signature === 'mismatch') {
      // Never discard a response carrying a refresh token: store it, record, alert.
      detail.signature_mismatch = true;
      ctx.metrics.signatureMismatches.inc({ integration: integration.key });
      ctx.metrics.alerts.inc({ kind: 'signature_mismatch' });
      ctx.log.warn({ integration: integration.key, connection: toPublicId('connection', row.id) }, 'token response signature mismatch (stored anyway)');
    }
    if (call.outcome.nonConformant) {
      detail.non_conformant = call.outcome.nonConformant.slice(0, 300);
      ctx.metrics.alerts.inc({ kind: 'non_conformant_token_response' });
      ctx.log.warn({ integration: integration.key, reason: call.outcome.nonConformant }, 'non-conformant token response used anyway');
    }
    const rotated = update.refreshToken !== null;
    const grant = {
      accessTokenEnc: encryptSecret(ctx.keyring, update.accessToken, connectionSecretPlace(row.id, 'access_token_enc')),
      refreshTokenEnc: rotated ? encryptSecret(ctx.keyring, update.refreshToken!, connectionSecretPlace(row.id, 'refresh_token_enc')) : null,
      refreshTokenFp: rotated ? refreshTokenFingerprint(ctx.keyring, update.refreshToken!) : null,
      expiresAt: update.expiresAt,
      instanceUrl: update.instanceUrl,
      idUrl: update.idUrl,
      account: update.account,
      scopes: update.scopes,
      refreshTokenExpiresAt: update.refreshTokenExpiresAt,
      nextRefreshAt: nextRefreshAfterSuccess({
        now: Date.now(),
        keepaliveS: settings.keepalive_s,
        keepWarm: settings.keep_warm,
        expiresAt: update.expiresAt,
        marginS: settings.margin_s,
      }),
    };
    const eventOutcome = this.eventOutcome(call, 'success', detail, rotated);

    // The window between these two log lines is the only place a crash can lose a rotated
    // token (the fault-injection suite counts kills that land in it).
    ctx.log.debug({ connection: row.id, event: call.eventId, rotated }, 'refresh answered');
    // One write stores the grant. It is retried through database outages while the lease is
    // renewed: with rotation, this token is the only one left.
    let committed: Awaited<ReturnType<typeof commitRefresh>>;
    for (let attempt = 0; ; attempt++) {
      try {
        committed = await ctx.db.kysely.transaction().execute(async (trx) => {
          const written = await commitRefresh(trx, row.id, Number(row.generation), grant);
          await completeEvent(trx, call.eventId, written ? eventOutcome : { ...eventOutcome, detail: { ...detail, superseded: true } });
          await countRefreshOutcome(trx, integration.id, 'success');
          if (!written) return undefined;
          if (written.previous_status === 'refresh_failing' || written.previous_status === 'needs_reauth') {
            const sequence = await nextEventSequence(trx, row.id);
            await emitEvent(trx, {
              type: 'connection.recovered',
              connectionId: row.id,
              integrationId: integration.id,
              data: { connection: connectionToApi({ ...written, event_sequence: sequence }, { key: integration.key, status: 'ok' }), sequence },
            });
          }
          if (integration.status === 'error') {
            const recovered = await setIntegrationStatus(trx, integration.id, 'error', 'ok', null);
            if (recovered) await emitEvent(trx, { type: 'integration.recovered', integrationId: integration.id, data: { integration: integrationToApi(recovered) } });
          }
          await notifyConnectionChanged(trx, row.id, Number(written.generation));
          return written;
        });
        break;
      } catch (error) {
        if (!isTransientDatabaseError(error) || attempt > 10_000) throw error;
        ctx.log.warn({ err: { message: (error as Error).message }, attempt }, 'storing a refreshed grant failed; retrying');
        await sleep(Math.min(2000, 100 * 2 ** Math.min(attempt, 5)));
      }
    }
    ctx.log.debug({ connection: row.id, event: call.eventId }, 'refresh stored');
    this.countOutcome(integration, call.trigger, 'success', null);
    this.onRefreshOutcome?.({ integrationId: integration.id, connectionId: row.id, orgId: row.org_id, permanent: false });
    if (!committed) {
      // Someone stored a newer grant meanwhile (only after our lease lapsed): serve theirs.
      const latest = await findConnection(ctx.db.kysely, row.id);
      const token = latest ? this.storedToken(latest, settings) : null;
      if (latest && token) return { kind: 'token', token, refreshedAt: latest.last_refreshed_at };
      return { kind: 'unavailable', retryAfterS: 1, reason: 'superseded' };
    }
    const token: CachedToken = {
      connectionId: row.id,
      generation: Number(committed.generation),
      accessToken: update.accessToken,
      expiresAt: update.expiresAt,
      instanceUrl: committed.instance_url,
      marginS: settings.margin_s,
      accessTokenTtlS: settings.access_token_ttl_s,
      checkedAt: Date.now(),
    };
    ctx.tokenCache.set(token);
    return { kind: 'token', token, refreshedAt: committed.last_refreshed_at };
  }

  // ── failure ───────────────────────────────────────────────────────────────────────────

  private async storeFailure(
    row: ConnectionRow,
    integration: IntegrationRow,
    module: ProviderModule,
    failure: ProviderFailure,
    trigger: string | null,
    options: AttemptOptions,
    call: { eventId: string | null; durationMs: number },
  ): Promise<AttemptResult> {
    const { ctx } = this;
    const settings = integration.refresh as RefreshSettings;
    const classification = classifyProviderFailure(failure, module.classificationRules);
    const now = new Date();
    const entry = ctx.providers.entry(integration.provider);
    const rotating = entry ? entry.refresh_model === 'rotating' : true;
    const unknownOutcome = rotating && outcomeMayBeUnknown(failure);
    const diagnosis = await diagnoseRefreshFailure(ctx, row, integration, failure, classification, now);
    const lastError = describeLastError(failure, now);
    if (classification.alert) {
      ctx.metrics.alerts.inc({ kind: `provider_${classification.reason}` });
      ctx.log.warn({ integration: integration.key, reason: classification.reason, http_status: failure.httpStatus }, 'unexpected provider answer');
    }
    if (classification.rateLimited) this.onRateLimited?.(integration.id);

    const dead = row.status === 'needs_reauth';
    let to: ConnectionStatus = row.status;
    let backoffUntil: Date | null = null;
    let nextRefreshAt: Date | null = row.next_refresh_at;
    let reprobeAttempts: number | undefined;
    if (classification.class === 'transient') {
      if (!dead) {
        to = 'refresh_failing';
        backoffUntil = new Date(now.getTime() + backoffDelayMs(row.consecutive_failures + 1, ctx.config.refresh.backoffBaseMs, ctx.config.refresh.backoffMaxMs));
        nextRefreshAt = backoffUntil;
      }
    } else if (classification.class === 'permanent') {
      to = 'needs_reauth';
      reprobeAttempts = dead ? row.reprobe_attempts + 1 : 0;
      nextRefreshAt = isAdminFixable(diagnosis.code)
        ? new Date(now.getTime() + reprobeDelayMs(reprobeAttempts, ctx.config.scheduler.reprobeBaseS, ctx.config.scheduler.reprobeMaxS))
        : null;
    } else {
      // The integration's own credentials or configuration were refused: back off; the
      // integration (not the connection) changes state.
      backoffUntil = new Date(now.getTime() + backoffDelayMs(row.consecutive_failures + 1, ctx.config.refresh.backoffBaseMs, ctx.config.refresh.backoffMaxMs));
      nextRefreshAt = backoffUntil;
    }
    const eventOutcome: EventOutcome['outcome'] =
      classification.class === 'transient' ? (unknownOutcome ? 'unknown' : 'transient_error') : 'permanent_error';

    const written = await ctx.db.kysely.transaction().execute(async (trx) => {
      if (call.eventId) {
        await completeEvent(trx, call.eventId, {
          outcome: eventOutcome,
          httpStatus: failure.httpStatus,
          error: lastError.error,
          errorDescription: lastError.error_description,
          durationMs: call.durationMs,
          rotated: false,
          detail: { class: classification.class, reason: classification.reason, diagnosis: diagnosis.code },
        });
      }
      await countRefreshOutcome(trx, integration.id, eventOutcome);
      const updated = await recordFailure(trx, row.id, ctx.config.instanceId, {
        from: row.status,
        to,
        lastError,
        diagnosis,
        backoffUntil,
        nextRefreshAt,
        countFailure: true,
        reprobeAttempts,
        outcomeUnknown: unknownOutcome,
        integrationError: classification.class === 'integration',
      });
      if (!updated) return undefined;
      if (to !== row.status) {
        const sequence = await nextEventSequence(trx, row.id);
        const connection = connectionToApi({ ...updated, event_sequence: sequence }, integration);
        if (to === 'refresh_failing') {
          await emitEvent(trx, { type: 'connection.refresh_failing', connectionId: row.id, integrationId: integration.id, data: { connection, last_error: lastError, sequence } });
        } else if (to === 'needs_reauth') {
          await endGrantsOfConnection(trx, row.id, diagnosis.code);
          await emitEvent(trx, {
            type: 'connection.reauth_required',
            connectionId: row.id,
            integrationId: integration.id,
            data: { connection, diagnosis, reconnect_url: this.reconnectUrlFor(row.id), sequence },
          });
        }
      } else if (dead && options.trigger === 'reprobe' && diagnosisMoved(row.diagnosis, diagnosis)) {
        // A re-probe found the dead grant failing for another reason (e.g. reactivated, but
        // the password changed meanwhile): who must act may have changed.
        const sequence = await nextEventSequence(trx, row.id);
        await emitEvent(trx, {
          type: 'connection.diagnosis_changed',
          connectionId: row.id,
          integrationId: integration.id,
          data: { connection: connectionToApi({ ...updated, event_sequence: sequence }, integration), diagnosis, sequence },
        });
      }
      if (classification.class === 'integration' && integration.status === 'ok') {
        const { failing, total } = await countIntegrationErrors(trx, integration.id);
        if (failing >= Math.min(2, total)) {
          const errored = await setIntegrationStatus(trx, integration.id, 'ok', 'error', lastError);
          if (errored) {
            await emitEvent(trx, {
              type: 'integration.error',
              integrationId: integration.id,
              data: { integration: integrationToApi(errored), last_error: lastError, affected_connection_count: total },
            });
          }
        }
      }
      await notifyConnectionChanged(trx, row.id, Number(row.generation));
      return updated;
    });
    ctx.tokenCache.invalidate(row.id);
    this.countOutcome(integration, trigger ?? options.trigger, eventOutcome, failure.error);
    this.onRefreshOutcome?.({ integrationId: integration.id, connectionId: row.id, orgId: row.org_id, permanent: classification.class === 'permanent' });

    const current = written ?? (await findConnection(ctx.db.kysely, row.id)) ?? row;
    const latestIntegration = (await findIntegrationById(ctx.db.kysely, integration.id)) ?? integration;
    if (classification.class === 'integration' || latestIntegration.status === 'error') {
      return { kind: 'integration_error', row: current, integration: latestIntegration };
    }
    if (classification.class === 'permanent' || current.status === 'needs_reauth') {
      return { kind: 'reauth_required', row: current, integration: latestIntegration };
    }
    const token = this.storedToken(current, settings);
    if (token && !options.force && token.expiresAt.getTime() > Date.now()) {
      return { kind: 'token', token, refreshedAt: current.last_refreshed_at, warning: 'refresh_failed' };
    }
    const retryAfterS = current.backoff_until ? Math.max(1, (current.backoff_until.getTime() - Date.now()) / 1000) : 1;
    return { kind: 'unavailable', retryAfterS, reason: classification.reason };
  }

  // ── helpers ───────────────────────────────────────────────────────────────────────────

  reconnectUrlFor(connectionId: string): string {
    const { config, keyring } = this.ctx;
    return reconnectUrl(config.publicUrl, keyring, toPublicId('connection', connectionId), config.connect.reconnectLinkTtlS);
  }

  private eventOutcome(call: CallResult, outcome: EventOutcome['outcome'], detail: Record<string, unknown> = {}, rotated = false): EventOutcome {
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

  private countOutcome(integration: IntegrationRow, trigger: string, outcome: string, error: string | null): void {
    this.ctx.metrics.refreshes.inc({ integration: integration.key, provider: integration.provider, trigger, outcome, error: error ?? '' });
  }

  private toTokenResult(result: AttemptResult): TokenResult {
    switch (result.kind) {
      case 'token':
        return { token: toTokenView(result.token), ...(result.warning ? { warning: result.warning } : {}) };
      case 'reauth_required': {
        const connection = connectionToApi(result.row, result.integration);
        throw new DomainError('conflict', 'reauth_required', 'The grant is unusable: the end user (or an admin, see diagnosis.who_fixes) must act.', [], {
          diagnosis: connection.diagnosis,
          reconnect_url: this.reconnectUrlFor(result.row.id),
          connection,
        });
      }
      case 'integration_error': {
        const connection = connectionToApi(result.row, result.integration);
        throw new DomainError('conflict', 'integration_error', "The provider rejects the integration's own credentials or configuration; the developer must fix the integration.", [], {
          connection,
          integration: integrationToApi(result.integration),
          last_error: result.row.last_error ?? result.integration.last_error ?? null,
        });
      }
      case 'unavailable':
        throw new DomainError(
          'unavailable',
          result.reason === 'shutting_down' ? 'shutting_down' : 'provider_unavailable',
          result.reason === 'shutting_down'
            ? 'This instance is shutting down; retry.'
            : 'The provider could not refresh the token just now; retry after the delay in Retry-After.',
          [],
          { reason: result.reason },
          result.retryAfterS,
        );
      case 'in_progress':
        throw new DomainError('unavailable', 'refresh_in_progress', 'Another instance is refreshing this connection; retry shortly.', [], {}, 1);
    }
  }
}
