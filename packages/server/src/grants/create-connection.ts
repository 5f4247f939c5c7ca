// The one way a connection comes to exist, from an import or a completed connect flow: the
// row with its secrets encrypted for it, the `import`/`connect` history event, the grant in
// the ledger (with the per-user limit guard) and `connection.created` — one transaction,
// the caller's.
import type { AppContext } from '../context.js';
import { insertConnection } from '../db/connections/insert-connection.js';
import { insertEvent } from '../db/events/insert-event.js';
import type { ConnectionRow, Executor, IntegrationRow } from '../db/types.js';
import type { ConnectionConfig } from '../domain/grants.js';
import { newRowId } from '../model/ids.js';
import { sealAccessToken, sealRefreshToken } from '../model/secret-places.js';
import type { ProviderAccount } from '../providers/module-types.js';
import { emitConnectionEvent } from './connection-events.js';
import { recordGrantWithGuard } from './ledger.js';

export interface NewConnection {
  integration: IntegrationRow;
  /** How it came to be: an import of a grant obtained elsewhere, or our connect flow. */
  origin: 'import' | 'connect';
  endUser: { id: string; email: string | null };
  metadata?: Record<string, unknown>;
  connectionConfig: ConnectionConfig;
  scopes: string[];
  /** null: a server-to-server grant, minted without one (refresh/grant-kinds/). */
  refreshToken: string | null;
  /** The user a JWT Bearer grant acts as; null for every other kind. */
  subject?: string | null;
  accessToken: string | null;
  accessTokenExpiresAt: Date | null;
  refreshTokenExpiresAt?: Date | null;
  instanceUrl: string | null;
  idUrl: string | null;
  account: ProviderAccount | null;
  /** When the grant was authorized (null: unknown, e.g. an import without issued_at). */
  authorizedAt: Date | null;
  nextRefreshAt: Date;
  returnUrl?: string | null;
  /** The id another system knows it by (unique per integration: a clash is a unique violation). */
  externalId?: string | null;
}

export interface CreatedConnection {
  row: ConnectionRow;
  /** Connections told their grant will be evicted by this one (the provider's per-user limit). */
  warned: string[];
}

/** A unique violation (db/errors.ts) means the refresh token is already held by another connection. */
export async function createConnection(ctx: AppContext, trx: Executor, input: NewConnection): Promise<CreatedConnection> {
  const id = newRowId();
  const refresh = input.refreshToken === null ? null : sealRefreshToken(ctx.keyring, id, input.refreshToken);
  const row = await insertConnection(trx, {
    id,
    integration_id: input.integration.id,
    end_user_id: input.endUser.id,
    end_user_email: input.endUser.email,
    metadata: JSON.stringify(input.metadata ?? {}),
    connection_config: JSON.stringify(input.connectionConfig),
    scopes: JSON.stringify(input.scopes),
    instance_url: input.instanceUrl,
    id_url: input.idUrl,
    org_id: input.account?.orgId ?? null,
    user_id: input.account?.userId ?? null,
    access_token_enc: input.accessToken === null ? null : sealAccessToken(ctx.keyring, id, input.accessToken),
    refresh_token_enc: refresh?.enc ?? null,
    refresh_token_fp: refresh?.fp ?? null,
    grant_subject: input.subject ?? null,
    access_token_expires_at: input.accessTokenExpiresAt,
    refresh_token_expires_at: input.refreshTokenExpiresAt ?? null,
    authorized_at: input.authorizedAt,
    next_refresh_at: input.nextRefreshAt,
    return_url: input.returnUrl ?? null,
    grant_origin: input.origin,
    external_id: input.externalId ?? null,
  });
  await insertEvent(trx, {
    id: newRowId(),
    connection_id: id,
    integration_id: input.integration.id,
    type: input.origin,
    trigger: input.origin,
    outcome: 'success',
    instance_id: ctx.config.instanceId,
  });
  // An imported grant counts against the provider's per-user limit like a new one.
  const warned = input.account
    ? (await recordGrantWithGuard(ctx, trx, { integration: input.integration, account: input.account, connectionId: id, issuedAt: input.authorizedAt ?? new Date() })).warned
    : [];
  await emitConnectionEvent(trx, 'connection.created', row, input.integration);
  return { row, warned };
}
