// Storing a freshly authorized grant: a new connection, or the same connection updated in
// place (a reconnect, or the same end user authorizing the same provider account through
// the same integration again). One transaction per attempt holds the grant, the ledger,
// the event and the webhook; a grant that is not kept is queued for revocation, so an
// unused approval never counts against the provider's per-user limit.
import { isUniqueViolation } from '../db/errors.js';
import { recordAuditEvent } from '../audit/record.js';
import type { AppContext } from '../context.js';
import { findConnectionByAccount } from '../db/connect-sessions/find-connection-by-account.js';
import type { ConnectSessionRow } from '../db/connect-sessions/find-session.js';
import { replaceGrant } from '../db/connect-sessions/replace-grant.js';
import { findConnection } from '../db/connections/find-connection.js';
import { findConnectionByExternalId } from '../db/connections/find-connection-by-external-id.js';
import { insertEvent } from '../db/events/insert-event.js';
import { endGrant } from '../db/grant-ledger/end-grant.js';
import { notifyConnectionChanged } from '../db/notify.js';
import type { ConnectionRow, Executor, IntegrationRow } from '../db/types.js';
import { createConnection } from '../grants/create-connection.js';
import { emitConnectionEvent } from '../grants/connection-events.js';
import { recordGrantWithGuard } from '../grants/ledger.js';
import { recordRetirement, retirementOf } from '../grants/retired-grants.js';
import { queueRevocation, queueTokenRevocation } from '../grants/revocation-queue.js';
import { sealAccessToken, sealRefreshToken } from '../model/secret-places.js';
import { newRowId, toPublicId } from '../model/ids.js';
import type { AuditContext } from '../domain/audit.js';
import type { GrantUpdate } from '../providers/module-types.js';
import { nextRefreshAfterSuccess } from '../policy/schedule.js';

type Stored = { ok: true; connectionId: string; created: boolean; warned: string[] };

export type StoreOutcome =
  | Stored
  | { ok: false; error: 'account_mismatch' | 'connection_not_found' | 'duplicate_grant' | 'conflict' };

export interface AuthorizedGrant {
  update: GrantUpdate;
  refreshToken: string;
}

/** Attempts after the lease wait is over (each one re-reads the connection). */
const ATTEMPTS_IGNORING_LEASE = 5;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function storeAuthorizedGrant(
  ctx: AppContext,
  audit: AuditContext,
  session: ConnectSessionRow,
  integration: IntegrationRow,
  grant: AuthorizedGrant,
): Promise<StoreOutcome> {
  const account = grant.update.account ?? null;
  // A refresh in flight on the connection is waited for as a token caller would wait; after
  // that the new grant goes in regardless (a stuck holder cannot commit over it: generation).
  const leaseDeadline = Date.now() + ctx.config.refresh.waitMsDefault;
  for (let late = 0; late < ATTEMPTS_IGNORING_LEASE; ) {
    const respectLease = Date.now() < leaseDeadline;
    if (!respectLease) late++;
    let target: ConnectionRow | undefined;
    if (session.connection_id) {
      target = await findConnection(ctx.db.kysely, session.connection_id);
      if (!target) return discard(ctx, session, integration, grant, 'connection_not_found');
      const known = target.org_id && target.user_id;
      if (known && (!account || account.orgId !== target.org_id || account.userId !== target.user_id)) {
        return discard(ctx, session, integration, grant, 'account_mismatch');
      }
    } else if (account) {
      target = await findConnectionByAccount(ctx.db.kysely, {
        integrationId: integration.id,
        endUserId: session.end_user_id,
        orgId: account.orgId,
        userId: account.userId,
      });
    }
    try {
      const outcome = target
        ? await replaceInPlace(ctx, audit, session, integration, grant, target, respectLease)
        : await insertNew(ctx, audit, session, integration, grant);
      if (outcome) {
        ctx.tokenCache.invalidate(outcome.connectionId);
        return outcome;
      }
    } catch (error) {
      if (isUniqueViolation(error)) return discard(ctx, session, integration, grant, 'duplicate_grant');
      throw error;
    }
    // A refresh holds the lease, or committed meanwhile (generation moved): read again.
    if (target?.lease_expires_at && target.lease_expires_at.getTime() > Date.now() - 1000) await sleep(ctx.config.refresh.leasePollMs);
  }
  return discard(ctx, session, integration, grant, 'conflict');
}

function grantColumns(ctx: AppContext, integration: IntegrationRow, connectionId: string, grant: AuthorizedGrant, now: Date) {
  const settings = integration.refresh;
  const { update } = grant;
  const refresh = sealRefreshToken(ctx.keyring, connectionId, grant.refreshToken);
  return {
    accessTokenEnc: sealAccessToken(ctx.keyring, connectionId, update.accessToken),
    refreshTokenEnc: refresh.enc,
    refreshTokenFp: refresh.fp,
    expiresAt: update.expiresAt,
    refreshTokenExpiresAt: update.refreshTokenExpiresAt ?? null,
    scopes: update.scopes ?? integration.scopes,
    // The engine reads this: a first refresh that fails right after it is immediate-expiry evidence.
    authorizedAt: now,
    nextRefreshAt: nextRefreshAfterSuccess(settings, update.expiresAt, now.getTime()),
  };
}

async function insertNew(ctx: AppContext, audit: AuditContext, session: ConnectSessionRow, integration: IntegrationRow, grant: AuthorizedGrant): Promise<Stored> {
  const now = new Date();
  const settings = integration.refresh;
  const { update } = grant;
  return ctx.db.kysely.transaction().execute(async (trx) => {
    const created = await createConnection(ctx, trx, {
      integration,
      origin: 'connect',
      endUser: { id: session.end_user_id, email: session.end_user_email },
      connectionConfig: session.connection_config,
      scopes: update.scopes ?? integration.scopes,
      refreshToken: grant.refreshToken,
      accessToken: update.accessToken,
      accessTokenExpiresAt: update.expiresAt,
      refreshTokenExpiresAt: update.refreshTokenExpiresAt ?? null,
      instanceUrl: update.instanceUrl ?? null,
      idUrl: update.idUrl ?? null,
      account: update.account ?? null,
      // The engine reads this: a first refresh that fails right after it is immediate-expiry evidence.
      authorizedAt: now,
      nextRefreshAt: nextRefreshAfterSuccess(settings, update.expiresAt, now.getTime()),
      returnUrl: session.return_url,
      // The id was free when the session was made; taken since (an import meanwhile), the grant
      // is still kept — without the id — rather than thrown away after the user approved it.
      externalId: session.external_id && !(await findConnectionByExternalId(trx, integration.id, session.external_id)) ? session.external_id : null,
    });
    await recordAuditEvent(trx, audit, 'connection.created', { type: 'connection', id: toPublicId('connection', created.row.id) });
    return { ok: true as const, connectionId: created.row.id, created: true, warned: created.warned };
  });
}

/** Undefined when the compare-and-set lost to a concurrent write (the caller re-reads). */
async function replaceInPlace(
  ctx: AppContext,
  audit: AuditContext,
  session: ConnectSessionRow,
  integration: IntegrationRow,
  grant: AuthorizedGrant,
  target: ConnectionRow,
  respectLease: boolean,
): Promise<Stored | undefined> {
  const now = new Date();
  const columns = grantColumns(ctx, integration, target.id, grant, now);
  const { update } = grant;
  // The replaced token is retired: importing it later must never bring it back.
  const retirement = retirementOf(ctx, target, grant.refreshToken, 'replaced');
  return ctx.db.kysely.transaction().execute(async (trx) => {
    const written = await replaceGrant(trx, target.id, Number(target.generation), {
      ...columns,
      instanceUrl: update.instanceUrl,
      idUrl: update.idUrl,
      account: update.account,
      endUserEmail: session.end_user_email ?? undefined,
      returnUrl: session.return_url,
    }, respectLease);
    if (!written) return undefined;
    // The replaced token is revoked now that the new one is stored — unless it was a dead
    // grant's, revoked when the flow started, or the provider handed the same token back.
    const replacedFp = target.refresh_token_fp;
    if (target.refresh_token_enc && replacedFp !== columns.refreshTokenFp && replacedFp !== session.revoked_refresh_token_fp) {
      await queueRevocation(ctx, trx, target, integration);
    }
    await recordRetirement(trx, retirement);
    await insertEvent(trx, {
      id: newRowId(),
      connection_id: target.id,
      integration_id: integration.id,
      type: 'reconnect',
      trigger: 'connect',
      outcome: 'success',
      instance_id: ctx.config.instanceId,
      detail: JSON.stringify({ previous_status: target.status, requested: session.connection_id !== null }),
    });
    const warned = update.account
      ? (await recordGrantWithGuard(ctx, trx, { integration, account: update.account, connectionId: target.id, issuedAt: now })).warned
      : [];
    await emitConnectionEvent(trx, 'connection.reconnected', written, integration);
    await notifyConnectionChanged(trx, target.id, Number(written.generation));
    // The end user authorized again: a new grant replaced the connection's (never the token itself).
    await recordAuditEvent(trx, audit, 'connection.updated', { type: 'connection', id: toPublicId('connection', target.id) }, { fields: ['grant'] });
    return { ok: true as const, connectionId: target.id, created: false, warned };
  });
}

/**
 * A grant that will not be kept: revoke it at the provider, and let the ledger see it was
 * briefly live (its approval may still have pushed an older grant of that user out).
 */
async function discard(
  ctx: AppContext,
  session: ConnectSessionRow,
  integration: IntegrationRow,
  grant: AuthorizedGrant,
  error: 'account_mismatch' | 'connection_not_found' | 'duplicate_grant' | 'conflict',
): Promise<StoreOutcome> {
  // A duplicate is a token another connection holds: revoking it would kill that connection.
  if (error === 'duplicate_grant') return { ok: false, error };
  await ctx.db.kysely.transaction().execute(async (trx: Executor) => {
    await queueTokenRevocation(
      ctx,
      trx,
      { refreshToken: grant.refreshToken, accessToken: () => grant.update.accessToken, connectionId: null, connectionConfig: session.connection_config },
      integration,
    );
    if (grant.update.account) {
      const { ledgerId } = await recordGrantWithGuard(ctx, trx, { integration, account: grant.update.account, connectionId: null, issuedAt: new Date() });
      await endGrant(trx, ledgerId, error, new Date());
    }
  });
  return { ok: false, error };
}
