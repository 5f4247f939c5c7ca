// Revokes deleted grants at the provider — RFC 7009 at the revocation endpoint stored with each,
// or a catalog provider's own revocation request (rows marked `provider:<key>`) — retried with
// exponential backoff for 24 h (configurable), then recorded as failed. `invalid_token` (or a
// refused refresh token) counts as revoked: the token is dead either way.
import { revocationSecretPlace } from '../model/secret-places.js';
import type { AppContext } from '../context.js';
import { decryptSecret } from '../crypto/envelope.js';
import { claimDueRevocations } from '../db/revocations/claim-due-revocations.js';
import { finishRevocation, retryRevocationLater } from '../db/revocations/finish-revocation.js';
import { oauthClient } from '../oauth/client.js';
import type { ProviderEgress } from '../outbound/provider-egress.js';
import { findIntegrationById } from '../db/integrations/find-integration.js';
import { integrationEgressOf } from '../model/integration-egress.js';
import { revokeToken, type RevokeOutcome } from '../oauth/revoke.js';
import { sendProviderRevocation } from '../oauth/provider-revoke.js';
import { PROVIDER_REVOCATION_PREFIX } from '../grants/revocation-queue.js';
import type { GuardedFetch } from '../outbound/guarded-fetch.js';
import type { RevocationInputs } from '../providers/revocation/request.js';
import type { ClientAuth } from '../providers/provider.js';
import { instanceWorker } from './instance-worker.js';
import type { PeriodicWorker } from './periodic.js';

type RevocationRow = Awaited<ReturnType<typeof claimDueRevocations>>[number];

export class RevocationWorker {
  readonly worker: PeriodicWorker<number>;

  constructor(private readonly ctx: AppContext, private readonly egress: ProviderEgress) {
    this.worker = instanceWorker(ctx, {
      name: 'revocations',
      intervalMs: ctx.config.revocation.pollIntervalMs,
      initialDelayMs: 0,
      pass: () => this.pass(),
    });
  }

  start(): void {
    this.worker.start();
  }

  async stop(): Promise<void> {
    await this.worker.stop();
  }

  /** One pass now (after the running one); returns how many revocations were attempted. */
  tick(): Promise<number> {
    return this.worker.runNow();
  }

  private async pass(): Promise<number> {
    const { ctx } = this;
    const claimFor = ctx.config.refresh.tokenTimeoutMs + 30_000;
    const due = await claimDueRevocations(ctx.db.kysely, 20, claimFor);
    await Promise.all(due.map((row) => this.revokeOne(row)));
    return due.length;
  }

  private async revokeOne(row: RevocationRow): Promise<void> {
    const { ctx } = this;
    if (!row.token_enc || !row.revoke_url || !row.client_id) {
      await finishRevocation(ctx.db.kysely, row.id, 'failed', 'nothing to revoke with');
      return;
    }
    const token = decryptSecret(ctx.keyring, row.token_enc, revocationSecretPlace(row.id, 'token_enc'));
    const secret = row.client_secret_enc ? decryptSecret(ctx.keyring, row.client_secret_enc, revocationSecretPlace(row.id, 'client_secret_enc')) : null;
    // The integration's own egress while it exists; a deleted integration's grants leave by the instance's.
    const integration = row.integration_id ? await findIntegrationById(ctx.db.kysely, row.integration_id) : undefined;
    const fetch = this.egress.fetchFor(integrationEgressOf(ctx.keyring, integration));
    const outcome = row.client_auth?.startsWith(PROVIDER_REVOCATION_PREFIX)
      ? await this.providerRevocation(row.client_auth.slice(PROVIDER_REVOCATION_PREFIX.length), fetch, { url: row.revoke_url, token, clientId: row.client_id, clientSecret: secret })
      : await this.rfc7009Revocation(fetch, { url: row.revoke_url, clientId: row.client_id, clientAuth: row.client_auth, hint: row.token_type_hint }, token, secret);
    await this.record(row, outcome);
  }

  /** A catalog provider's own revocation API (the request shape comes from the catalog by key). */
  private providerRevocation(provider: string, fetch: GuardedFetch, inputs: RevocationInputs): Promise<RevokeOutcome> {
    const spec = this.ctx.providers.revocationSpec(provider);
    if (spec === null) return Promise.resolve({ ok: false, retryable: false, reason: `provider ${provider} no longer describes a revocation request` });
    return sendProviderRevocation(fetch, spec, inputs);
  }

  private rfc7009Revocation(fetch: GuardedFetch, row: { url: string; clientId: string; clientAuth: string | null; hint: string }, token: string, secret: string | null): Promise<RevokeOutcome> {
    const revokeUrl = row.url;
    const auth = (row.clientAuth ?? 'none') as ClientAuth | 'none';
    const client = oauthClient({
      endpoints: {
        authorizationUrl: revokeUrl,
        tokenUrl: revokeUrl,
        revokeUrl,
        clientAuth: auth === 'none' ? 'client_secret_post' : auth,
        revokeClientAuth: auth,
        authorizationParams: {},
        tokenParams: {},
      },
      clientId: row.clientId,
      clientSecret: auth === 'none' ? null : secret,
      fetch,
      allowInsecure: this.ctx.config.allowPrivateNetwork !== false,
    });
    return revokeToken(client, token, row.hint === 'access_token' ? 'access_token' : 'refresh_token');
  }

  private async record(row: RevocationRow, outcome: RevokeOutcome): Promise<void> {
    const { ctx } = this;
    if (outcome.ok) {
      ctx.metrics.revocations.inc({ outcome: outcome.alreadyInvalid ? 'already_invalid' : 'revoked' });
      await finishRevocation(ctx.db.kysely, row.id, 'done', null);
      return;
    }
    const ageS = (Date.now() - row.created_at.getTime()) / 1000;
    if (!outcome.retryable || ageS >= ctx.config.revocation.retryWindowS) {
      ctx.metrics.revocations.inc({ outcome: 'failed' });
      ctx.log.warn({ revocation: row.id, reason: outcome.reason }, 'revocation at the provider failed for good');
      await finishRevocation(ctx.db.kysely, row.id, 'failed', outcome.reason);
      return;
    }
    const delay = Math.min(3_600_000, ctx.config.revocation.retryBaseMs * 2 ** Math.min(row.attempts, 12));
    await retryRevocationLater(ctx.db.kysely, row.id, Math.floor(delay / 2 + (Math.random() * delay) / 2), outcome.reason);
  }
}
