// Revokes deleted grants at the provider (RFC 7009; Salesforce /services/oauth2/revoke),
// retried with exponential backoff for 24 h (configurable), then recorded as failed.
// `invalid_token` counts as revoked: the token is dead either way.
import type { AppContext } from '../context.js';
import { decryptSecret } from '../crypto/envelope.js';
import { claimDueRevocations } from '../db/revocations/claim-due-revocations.js';
import { finishRevocation, retryRevocationLater } from '../db/revocations/finish-revocation.js';
import { oauthClient } from '../oauth/client.js';
import type { GuardedFetch } from '../outbound/guarded-fetch.js';
import { revokeToken } from '../oauth/revoke.js';
import type { ClientAuth } from '../providers/provider.js';

export class RevocationWorker {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly ctx: AppContext, private readonly fetch: GuardedFetch) {}

  start(): void {
    const loop = () => {
      if (this.stopped) return;
      this.running = this.tick()
        .then(() => undefined)
        .catch((error: unknown) => this.ctx.log.warn({ err: error }, 'revocation tick failed'))
        .finally(() => {
          this.running = null;
          if (!this.stopped) this.timer = setTimeout(loop, this.ctx.config.revocation.pollIntervalMs);
        });
    };
    this.timer = setTimeout(loop, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** One pass over due revocations; returns how many were attempted. */
  async tick(): Promise<number> {
    const { ctx } = this;
    const claimFor = ctx.config.refresh.tokenTimeoutMs + 30_000;
    const due = await claimDueRevocations(ctx.db.kysely, 20, claimFor);
    await Promise.all(due.map((row) => this.revokeOne(row)));
    return due.length;
  }

  private async revokeOne(row: Awaited<ReturnType<typeof claimDueRevocations>>[number]): Promise<void> {
    const { ctx } = this;
    const place = (column: string) => ({ table: 'revocations', column, rowId: row.id });
    if (!row.token_enc || !row.revoke_url || !row.client_id) {
      await finishRevocation(ctx.db.kysely, row.id, 'failed', 'nothing to revoke with');
      return;
    }
    const token = decryptSecret(ctx.keyring, row.token_enc, place('token_enc'));
    const secret = row.client_secret_enc ? decryptSecret(ctx.keyring, row.client_secret_enc, place('client_secret_enc')) : null;
    const auth = (row.client_auth ?? 'none') as ClientAuth | 'none';
    const client = oauthClient({
      endpoints: {
        authorizationUrl: row.revoke_url,
        tokenUrl: row.revoke_url,
        revokeUrl: row.revoke_url,
        clientAuth: auth === 'none' ? 'client_secret_post' : auth,
        revokeClientAuth: auth,
        authorizationParams: {},
        tokenParams: {},
      },
      clientId: row.client_id,
      clientSecret: auth === 'none' ? null : secret,
      fetch: this.fetch,
      allowInsecure: ctx.config.allowPrivateNetwork !== false,
    });
    const outcome = await revokeToken(client, token, row.token_type_hint === 'access_token' ? 'access_token' : 'refresh_token');
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
