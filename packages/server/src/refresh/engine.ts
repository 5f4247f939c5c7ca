// The refresh engine (docs/design.md "The refresh algorithm"): at most one provider call per
// connection at a time, however many callers and instances ask; a rotated refresh token is
// never dropped; every failure is classified, explained and, on a state change, announced.
//
//   single flight in the process → row lease in the database → re-read under the lease →
//   intent event → provider call (lease renewed) → compare-and-set commit, or a classified
//   failure (a permanent one confirmed by one retry inside the lease).
//
// This file only orchestrates; each step is its own module beside it.
import type { AppContext } from '../context.js';
import { findConnection } from '../db/connections/find-connection.js';
import { findIntegrationById, findIntegrationOfConnection } from '../db/integrations/find-integration.js';
import { completeEvent, resolveOrphanedIntent } from '../db/refresh/intent.js';
import type { ConnectionRow, IntegrationRow } from '../db/types.js';
import { notFound } from '../errors.js';
import { toPublicId } from '../model/ids.js';
import { integrationEgressOf } from '../model/integration-egress.js';
import { providerSettingsOf } from '../model/integration-settings.js';
import { clientSecretsOf } from '../model/client-secrets.js';
import { oauthClient } from '../oauth/client.js';
import type { ProviderEgress } from '../outbound/provider-egress.js';
import type { ProviderFailure } from '../providers/classify.js';
import { grantKindOf } from './grant-kinds/registry.js';
import { answerFromRow } from './answer.js';
import { callOutcome } from './commit.js';
import { giveBackLease, holdLease, takeLease } from './lease.js';
import { refreshFailed, refreshSucceeded } from './outcomes.js';
import { callTokenEndpoint, countRefresh } from './provider-call.js';
import { withSecretFallback } from './secret-fallback.js';
import { SingleFlight } from './single-flight.js';
import { CommitSignal } from './commit-signal.js';
import { toTokenResult, type TokenResult } from './token-result.js';
import type { Refresher } from './token-service.js';
import type { AttemptOptions, AttemptResult, EngineHooks, RefreshTrigger } from './types.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class RefreshEngine implements Refresher {
  private readonly flights = new SingleFlight<AttemptResult>();
  /** Wakes callers waiting on another holder's refresh (fed by NOTIFY, server.ts). */
  readonly commits = new CommitSignal();
  private stopping = false;
  hooks: EngineHooks = {};

  /** `egress`: the instance's outbound client for providers (outbound/clients.ts). */
  constructor(
    private readonly ctx: AppContext,
    private readonly egress: ProviderEgress,
  ) {}

  // ── entry points ──────────────────────────────────────────────────────────────────────

  /** The token path: a fresh token, or the problem the API answers with. */
  async refreshForCaller(
    connectionId: string,
    options: { force: boolean; minValidS: number; waitMs: number; arrivedAt: Date; trigger: 'on_demand' | 'forced' },
  ): Promise<TokenResult> {
    // `wait_ms` bounds the wait for ANOTHER instance's lease (inside the attempt); a refresh
    // this process is making is simply awaited (it is bounded by the token timeout).
    const attempt: AttemptOptions = { ...options, deadline: options.arrivedAt.getTime() + options.waitMs };
    let result = await this.singleFlight(connectionId, attempt);
    // A forced caller that joined a shared attempt needs a grant newer than its own arrival.
    if (options.force && result.kind === 'token' && (result.refreshedAt === null || result.refreshedAt < options.arrivedAt)) {
      result = await this.singleFlight(connectionId, attempt);
    }
    return toTokenResult(this.ctx, result);
  }

  /** An operator's "try now" (`POST …/refresh`): ignores backoff; on a dead grant makes exactly one call. */
  async refreshForced(connectionId: string): Promise<TokenResult> {
    return toTokenResult(this.ctx, await this.refreshInBackground(connectionId, 'forced'));
  }

  /** Scheduler, import verification and re-probes: one attempt, its result returned as data. */
  refreshInBackground(connectionId: string, trigger: RefreshTrigger): Promise<AttemptResult> {
    const arrivedAt = new Date();
    return this.singleFlight(connectionId, { trigger, force: true, arrivedAt, deadline: arrivedAt.getTime() + this.ctx.config.refresh.waitMsDefault, minValidS: null });
  }

  /**
   * A row the scheduler's claim already read and leased (db/scheduler/claim-due.ts): straight
   * to the call under that lease, with the integration the scheduler holds — no read, no
   * lease write. Should this process be refreshing the row already, the claim's lease goes
   * back and the claim joins that refresh.
   */
  async refreshClaimed(row: ConnectionRow, integration: IntegrationRow, trigger: RefreshTrigger): Promise<AttemptResult> {
    const arrivedAt = new Date();
    const options: AttemptOptions = { trigger, force: true, arrivedAt, deadline: arrivedAt.getTime() + this.ctx.config.refresh.waitMsDefault, minValidS: null };
    const key = `${row.id}:force`;
    if (this.stopping || this.flights.has(key)) {
      await giveBackLease(this.ctx, row.id);
      if (this.stopping) return { kind: 'unavailable', retryAfterS: 1, reason: 'shutting_down' };
    }
    return this.flights.run(key, () => this.withLease(row, options, integration));
  }

  /** Stop taking work; let refreshes in flight finish and store their outcome. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.flights.settled();
  }

  get inFlight(): number {
    return this.flights.size;
  }

  // ── single flight, lease, re-read ─────────────────────────────────────────────────────

  private singleFlight(connectionId: string, options: AttemptOptions): Promise<AttemptResult> {
    return this.flights.run(`${connectionId}:${options.force ? 'force' : 'ensure'}`, () => this.attempt(connectionId, options));
  }

  private async attempt(id: string, options: AttemptOptions): Promise<AttemptResult> {
    const { ctx } = this;
    if (this.stopping) return { kind: 'unavailable', retryAfterS: 1, reason: 'shutting_down' };
    for (let waited = false; ; waited = true) {
      // Armed before the read: a commit between the read and the wait still wakes us.
      const armed = this.commits.arm(id);
      try {
        const { row, integration } = await this.read(id);
        const early = answerFromRow(ctx, row, integration, options);
        if (early) {
          if (waited) ctx.metrics.leaseWaits.inc({ result: 'served_by_other' });
          return early;
        }
        const leased = await takeLease(ctx, id);
        if (leased) return await this.withLease(leased, options, integration);
        if (Date.now() >= options.deadline) {
          ctx.metrics.leaseWaits.inc({ result: 'timed_out' });
          return { kind: 'in_progress' };
        }
        // Woken by the holder's commit (NOTIFY); the poll interval is only the safety net.
        await armed.wait(Math.min(ctx.config.refresh.leasePollMs, Math.max(1, options.deadline - Date.now())));
      } finally {
        armed.cancel();
      }
    }
  }

  private async read(id: string): Promise<{ row: ConnectionRow; integration: IntegrationRow }> {
    // Both reads at once (two pool connections): the integration id is the connection's, read
    // through a join, so neither waits on the other.
    const [row, integration] = await Promise.all([findConnection(this.ctx.db.kysely, id), findIntegrationOfConnection(this.ctx.db.kysely, id)]);
    if (!row || !integration) throw notFound(`Connection "${toPublicId('connection', id)}"`);
    return { row, integration };
  }

  /** `known`: the integration as the caller read it just now (the scheduler's); else read here. */
  private async withLease(leased: ConnectionRow, options: AttemptOptions, known?: IntegrationRow): Promise<AttemptResult> {
    const { ctx } = this;
    let committed = false;
    try {
      let row = leased;
      if (row.refresh_intent_id) {
        // The previous holder wrote an intent and vanished: we never learned what the provider did.
        await resolveOrphanedIntent(ctx.db.kysely, row.id, row.refresh_intent_id);
        row = (await findConnection(ctx.db.kysely, row.id)) ?? row;
      }
      const integration = known ?? (await findIntegrationById(ctx.db.kysely, row.integration_id));
      if (!integration) throw notFound('Integration');
      // Re-read under the lease: refreshed by another holder meanwhile?
      const early = answerFromRow(ctx, row, integration, options);
      if (early) return early;
      const result = await this.refreshHoldingLease(row, integration, options);
      committed = true; // the commit and the failure write clear the lease in the same statement
      return result;
    } finally {
      if (!committed) await giveBackLease(ctx, leased.id);
    }
  }

  // ── the provider call ─────────────────────────────────────────────────────────────────

  private async refreshHoldingLease(row: ConnectionRow, integration: IntegrationRow, options: AttemptOptions): Promise<AttemptResult> {
    const { ctx } = this;
    // How the next token is minted is the grant kind's business (grant-kinds/); the rest is shared.
    const prepared = await grantKindOf(integration).prepare(ctx, row, integration);
    if (!prepared.ok) {
      return refreshFailed(ctx, this.hooks, { row, integration, failure: prepared.failure, options, call: { eventId: null, durationMs: 0, trigger: options.trigger }, leaseLost: false });
    }
    const { mint } = prepared;
    const endpoints = ctx.providers.endpoints(providerSettingsOf(integration), row.connection_config);
    const secrets = clientSecretsOf(ctx.keyring, integration);
    const fetch = this.egress.fetchFor(integrationEgressOf(ctx.keyring, integration));
    const clientFor = (clientSecret: string | null) =>
      oauthClient({
        endpoints,
        clientId: integration.client_id,
        clientSecret: mint.sendsClientSecret ? clientSecret : null,
        signingKey: mint.clientSigningKey,
        fetch,
        allowInsecure: ctx.config.allowPrivateNetwork !== false,
      });
    let clientSecret = secrets.current;
    const callWith = (secret: string | null, trigger: string) =>
      callTokenEndpoint(ctx, { row, integration, client: clientFor(secret), mint, params: endpoints.tokenParams, trigger });
    // A refusal of the client secret is retried once with the other one (secret-fallback.ts);
    // once the other one answered, the attempt keeps to it.
    const call = async (trigger: string) => {
      if (clientSecret !== secrets.current) return callWith(clientSecret, trigger);
      const answered = await withSecretFallback(ctx, integration, secrets, await callWith(clientSecret, trigger), (other) => callWith(other, 'retry'));
      clientSecret = answered.secret;
      return answered.call;
    };

    const lease = holdLease(ctx, row.id);
    try {
      if (this.hooks.beforeProviderCall && options.trigger !== 'scheduled' && options.trigger !== 'reprobe') {
        await this.hooks.beforeProviderCall(integration.id, integration.refresh.max_per_s).catch(() => {});
      }
      let outcome = await call(options.trigger);
      if (!outcome.outcome.ok && this.needsConfirmation(row, integration, outcome.outcome.failure)) {
        // One confirming retry: a permanent answer is confirmed before the grant is declared dead.
        await completeEvent(ctx.db.kysely, outcome.eventId, callOutcome(outcome, 'permanent_error', { confirming: true }));
        countRefresh(ctx, integration, outcome.trigger, 'permanent_error', outcome.outcome.failure.error);
        await sleep(ctx.config.refresh.confirmRetryMs);
        outcome = await call('retry');
      }
      if (outcome.outcome.ok) return await refreshSucceeded(ctx, this.hooks, { row, integration, call: outcome, success: outcome.outcome, clientSecret, leaseLost: lease.lost });
      return await refreshFailed(ctx, this.hooks, { row, integration, failure: outcome.outcome.failure, options, call: outcome, leaseLost: lease.lost });
    } finally {
      lease.stop();
    }
  }

  /** A dead grant or a rejected integration is probed with exactly one call: no confirmation. */
  private needsConfirmation(row: ConnectionRow, integration: IntegrationRow, failure: ProviderFailure): boolean {
    if (row.status === 'needs_reauth' || integration.status === 'error') return false;
    return this.ctx.providers.classify(integration.provider, failure).class === 'permanent';
  }
}
