// Webhook delivery from the outbox, on every instance. Each pass fans new outbox rows out to the
// matching endpoints, then claims due deliveries in one short committed statement and
// sends them with bounded concurrency. No transaction is open during an HTTP call; a
// crashed sender's claim runs out and the delivery is sent again (at-least-once).
import { webhookSecretPlace } from '../model/secret-places.js';
import type { AppContext } from '../context.js';
import { decryptSecret } from '../crypto/envelope.js';
import { claimDueDeliveries, findDelivery, oldestUndeliveredAgeS, type ClaimedDelivery, type DeliveryView } from '../db/webhooks/deliveries.js';
import { disableEndpoint, type WebhookEndpointRow } from '../db/webhooks/endpoints.js';
import { fanOutOutbox } from '../db/webhooks/fan-out-outbox.js';
import { findIntegrationByKey } from '../db/integrations/find-integration.js';
import { insertPing } from '../db/webhooks/ping.js';
import { newRowId, toPublicId } from '../model/ids.js';
import type { GuardedFetch } from '../outbound/guarded-fetch.js';
import { integrationKeyOf, nangoAuthBody } from './nango-format.js';
import { withConnectionFields } from './outbox.js';
import { nextRetryDelayMs } from './retry-policy.js';
import { OutcomeWriter } from './outcome-writer.js';
import { attemptDelivery, type AttemptResult } from './send.js';

const FAN_OUT_BATCH = 500;
const LAG_EVERY_MS = 1_000;

interface Target {
  endpointId: string;
  secretEnc: string;
  previousSecretEnc: string | null;
  previousSecretExpiresAt: Date | null;
}

/**
 * Delivery: fan out, claim, send, record, ping. The loop that runs its passes (every
 * pollIntervalMs, at once on NOTIFY) is workers/webhook-dispatch.ts; `wake` asks it for one.
 */
export class WebhookDispatcher {
  private readonly outcomes: OutcomeWriter;
  private readonly inFlight = new Set<Promise<void>>();
  /** Claimed, not yet sent (at most one batch: `concurrency`). */
  private readonly ready: { row: ClaimedDelivery; claim: string }[] = [];
  /** Outcomes being written: a slot is free once its POST answered, not once the write committed. */
  private readonly recording = new Set<Promise<void>>();
  private lagMeasuredAt = 0;
  private claims = 0;

  constructor(
    private readonly ctx: AppContext,
    private readonly fetch: GuardedFetch,
    private readonly requestPass: () => void,
  ) {
    this.outcomes = new OutcomeWriter(ctx.db.kysely);
  }

  /** Run a pass now (or right after the running one). */
  wake(): void {
    this.requestPass();
  }

  /** Sends what is claimed (in flight and queued), and waits for every outcome to be recorded. */
  async drain(): Promise<void> {
    for (;;) {
      this.startReady();
      if (this.inFlight.size === 0) break;
      await Promise.race([...this.inFlight]);
    }
    await Promise.allSettled([...this.recording]);
  }

  /** One pass: fan out, claim what there is room for, start sending. */
  async pass(signal: AbortSignal): Promise<void> {
    const { ctx } = this;
    const db = ctx.db.kysely;
    for (let i = 0; i < 20 && !signal.aborted; i++) {
      if ((await fanOutOutbox(db, FAN_OUT_BATCH)) < FAN_OUT_BATCH) break;
    }
    // Claims run one batch ahead of the senders: a slot that frees up takes the next claimed
    // delivery at once instead of waiting for a claim's round trips.
    const { concurrency } = ctx.config.webhooks;
    const room = 2 * concurrency - this.inFlight.size - this.ready.length;
    if (room > 0 && !signal.aborted) {
      const claim = this.nextClaim();
      const claimed = await claimDueDeliveries(db, room, ctx.config.webhooks.claimMs, claim);
      for (const row of claimed) this.ready.push({ row, claim });
      this.startReady();
      if (claimed.length === room) this.wake(); // more may be due
    }
    if (Date.now() - this.lagMeasuredAt >= LAG_EVERY_MS) {
      this.lagMeasuredAt = Date.now();
      ctx.metrics.outboxLag.set(await oldestUndeliveredAgeS(db));
    }
  }

  /**
   * Sends a `ping` event to one endpoint now (whatever its filter or state) and answers
   * with the outcome; it is recorded as a delivery but never retried on its own.
   */
  async ping(endpoint: WebhookEndpointRow): Promise<DeliveryView> {
    const { ctx } = this;
    const outboxId = newRowId();
    const deliveryId = newRowId();
    const claim = this.nextClaim();
    const payload = JSON.stringify({ type: 'ping', timestamp: new Date().toISOString(), data: { endpoint: toPublicId('webhookEndpoint', endpoint.id) } });
    await insertPing(ctx.db.kysely, {
      outboxId,
      deliveryId,
      endpointId: endpoint.id,
      payload,
      claimMs: ctx.config.webhooks.claimMs,
      claimedBy: claim,
    });
    const result = await attemptDelivery(this.fetch, {
      url: endpoint.url,
      eventId: toPublicId('event', outboxId),
      body: payload,
      secrets: this.secretsOf(targetOf(endpoint)),
      format: endpoint.format,
    });
    await this.record(deliveryId, claim, endpoint.id, result, null);
    return (await findDelivery(ctx.db.kysely, deliveryId))!;
  }

  /** Starts claimed deliveries while slots are free. */
  private startReady(): void {
    while (this.inFlight.size < this.ctx.config.webhooks.concurrency) {
      const next = this.ready.shift();
      if (!next) return;
      this.track(this.deliver(next.row, next.claim));
    }
  }

  private track(work: Promise<void>): void {
    const tracked: Promise<void> = work
      .catch((error: unknown) => this.ctx.log.warn({ err: error }, 'webhook delivery failed unexpectedly; it is retried when its claim ends'))
      .finally(() => {
        this.inFlight.delete(tracked);
        this.startReady();
        // Claim again once half of the queued batch is taken: batches claims under load.
        if (this.ready.length <= this.ctx.config.webhooks.concurrency / 2) this.wake();
      });
    this.inFlight.add(tracked);
  }

  /** A claim marker no other pass (here or elsewhere) shares: `<instance>#<n>`. */
  private nextClaim(): string {
    return `${this.ctx.config.instanceId}#${++this.claims}`;
  }

  private async deliver(row: ClaimedDelivery, claim: string): Promise<void> {
    const payload = row.payload as { data?: Record<string, unknown> };
    // Events written before data carried status/generation get them here (deterministic, so
    // every attempt and endpoint sends the same bytes).
    let body = JSON.stringify(payload.data ? { ...payload, data: withConnectionFields(payload.data) } : payload);
    if (row.format === 'nango') {
      const nango = await this.nangoBody(row);
      if (nango === null) {
        // The endpoint became `nango` after this event was fanned out to it: Nango has no such webhook.
        await this.outcomes.write({ id: row.id, claimedBy: claim, status: 'failed', retryInMs: null, responseStatus: null, responseBody: null, error: `not sent: ${row.type} has no Nango auth webhook` });
        return;
      }
      body = nango;
    }
    let secrets: string[];
    try {
      secrets = this.secretsOf({
        endpointId: row.endpoint_id,
        secretEnc: row.secret_enc,
        previousSecretEnc: row.previous_secret_enc,
        previousSecretExpiresAt: row.previous_secret_expires_at,
      });
    } catch (error) {
      this.ctx.log.error({ err: { message: (error as Error).message }, endpoint: toPublicId('webhookEndpoint', row.endpoint_id) }, 'webhook secret cannot be decrypted');
      this.recordInBackground(this.record(row.id, claim, row.endpoint_id, { kind: 'retry', status: null, body: null, error: 'secret_unreadable: the endpoint secret cannot be decrypted with the configured keys' }, row));
      return;
    }
    const result = await attemptDelivery(this.fetch, { url: row.url, eventId: toPublicId('event', row.outbox_id), body, secrets, format: row.format });
    this.recordInBackground(this.record(row.id, claim, row.endpoint_id, result, row));
  }

  /**
   * The outcome is written while the slot already sends the next delivery: writes are
   * batched (outcome-writer.ts), and a slot waiting for each commit's WAL flush would hold
   * a burst to the database's commit rate. The claim still guards the write (a late one
   * cannot overwrite a newer claim's outcome), and drain() waits for these too.
   */
  private recordInBackground(work: Promise<void>): void {
    const tracked: Promise<void> = work
      .catch((error: unknown) => this.ctx.log.warn({ err: error }, 'recording a webhook delivery failed; it is sent again when its claim ends'))
      .finally(() => this.recording.delete(tracked));
    this.recording.add(tracked);
  }

  /** Nango's body for the event (its provider read from the integration, still there or not). */
  private async nangoBody(row: ClaimedDelivery): Promise<string | null> {
    const key = integrationKeyOf(row.payload);
    const integration = key ? await findIntegrationByKey(this.ctx.db.kysely, key) : undefined;
    return nangoAuthBody(row.type, row.payload, integration?.provider ?? 'unknown');
  }

  /** Stores an attempt; `retryable` null = a ping (a failure is final). */
  private async record(deliveryId: string, claim: string, endpointId: string, result: AttemptResult, retryable: ClaimedDelivery | null): Promise<void> {
    const { ctx } = this;
    if (result.kind === 'delivered') {
      ctx.metrics.webhookDeliveries.inc({ outcome: 'delivered' });
      await this.outcomes.write({ id: deliveryId, claimedBy: claim, status: 'delivered', retryInMs: null, responseStatus: result.status, responseBody: result.body, error: null });
      return;
    }
    if (result.kind === 'gone') {
      ctx.metrics.webhookDeliveries.inc({ outcome: 'endpoint_gone' });
      const reason = `the endpoint answered 410 Gone at ${new Date().toISOString()}`;
      await disableEndpoint(ctx.db.kysely, endpointId, reason);
      ctx.log.warn({ endpoint: toPublicId('webhookEndpoint', endpointId) }, 'webhook endpoint answered 410 Gone: disabled');
      await this.outcomes.write({ id: deliveryId, claimedBy: claim, status: 'failed', retryInMs: null, responseStatus: 410, responseBody: result.body, error: '410 Gone: endpoint disabled' });
      return;
    }
    const delay = retryable ? nextRetryDelayMs(ctx.config.webhooks, retryable.attempts + 1, retryable.created_at) : null;
    ctx.metrics.webhookDeliveries.inc({ outcome: delay === null ? 'failed' : 'retrying' });
    await this.outcomes.write({
      id: deliveryId,
      claimedBy: claim,
      status: delay === null ? 'failed' : 'pending',
      retryInMs: delay,
      responseStatus: result.status,
      responseBody: result.body,
      error: result.error,
    });
  }

  /** The current secret, plus the previous one while a rotation's overlap lasts. */
  private secretsOf(target: Target): string[] {
    const secrets = [decryptSecret(this.ctx.keyring, target.secretEnc, webhookSecretPlace(target.endpointId, 'secret_enc'))];
    if (target.previousSecretEnc && target.previousSecretExpiresAt && target.previousSecretExpiresAt.getTime() > Date.now()) {
      secrets.push(decryptSecret(this.ctx.keyring, target.previousSecretEnc, webhookSecretPlace(target.endpointId, 'previous_secret_enc')));
    }
    return secrets;
  }
}

function targetOf(endpoint: WebhookEndpointRow): Target {
  return {
    endpointId: endpoint.id,
    secretEnc: endpoint.secret_enc,
    previousSecretEnc: endpoint.previous_secret_enc,
    previousSecretExpiresAt: endpoint.previous_secret_expires_at,
  };
}
