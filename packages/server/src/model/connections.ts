// Connections: one end user's grant through one integration. Import of grants obtained
// elsewhere, deletion with a queued provider-side revocation, and the API representation.
import { decryptSecret, encryptSecret } from '../crypto/envelope.js';
import { allRefreshTokenFingerprints, refreshTokenFingerprint } from '../crypto/hashing.js';
import type { AppContext } from '../context.js';
import { deleteConnection as deleteConnectionRow } from '../db/connections/delete-connection.js';
import { findConnectionByFingerprint } from '../db/connections/find-by-fingerprint.js';
import { findConnection } from '../db/connections/find-connection.js';
import { insertConnection } from '../db/connections/insert-connection.js';
import { nextEventSequence } from '../db/connections/next-event-sequence.js';
import { insertEvent } from '../db/events/insert-event.js';
import { endGrantsOfConnection } from '../db/grant-ledger/end-grants.js';
import { findIntegrationById, findIntegrationByKey } from '../db/integrations/find-integration.js';
import { notifyConnectionChanged } from '../db/notify.js';
import { insertRevocation } from '../db/revocations/insert-revocation.js';
import type { RefreshSettings } from '../db/schema.js';
import type { ConnectionRow, Executor, IntegrationRow } from '../db/types.js';
import { recordGrantWithGuard } from '../connect/grant-guard.js';
import type { Diagnosis } from '../diagnosis/types.js';
import { conflict, invalid, notFound } from '../errors.js';
import { emitEvent } from '../webhooks/outbox.js';
import { fromPublicId, newRowId, toPublicId } from './ids.js';
import { integrationSecretPlace } from './integrations.js';
import { parseIdentityUrl } from './salesforce-ids.js';

export const secretPlace = (rowId: string, column: 'access_token_enc' | 'refresh_token_enc') => ({
  table: 'connections',
  column,
  rowId,
});

export interface ImportInput {
  integration: string;
  end_user: { id: string; email?: string | null };
  metadata?: Record<string, unknown>;
  connection_config?: Record<string, string>;
  credentials: {
    refresh_token: string;
    access_token?: string;
    instance_url?: string;
    id_url?: string;
    issued_at?: string;
  };
}

/** `issued_at` as RFC 3339 or Salesforce's epoch-milliseconds string; null when malformed. */
export function parseIssuedAt(value: string): Date | null {
  if (/^\d{10,16}$/.test(value)) {
    const date = new Date(Number(value));
    return Number.isNaN(date.getTime()) ? null : date;
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(value)) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

export async function requireConnection(ctx: AppContext, publicId: string): Promise<ConnectionRow> {
  const id = fromPublicId('connection', publicId);
  const row = id ? await findConnection(ctx.db.kysely, id) : undefined;
  if (!row) throw notFound(`Connection "${publicId}"`);
  return row;
}

/**
 * Checks a connection's `connection_config` against the provider's URL template variables
 * (catalog: required unless defaulted, anchored pattern, no unknown keys) and returns what
 * to store: the given values plus defaults, so the stored config renders the same URLs even
 * if a default changes later. Throws a 400 listing every bad field.
 */
export function validateConnectionConfig(
  ctx: AppContext,
  integration: Pick<IntegrationRow, 'provider' | 'auth_base_url'>,
  config: unknown,
): Record<string, string> {
  const check = ctx.providers.checkConnectionConfig({ provider: integration.provider, authBaseUrl: integration.auth_base_url }, config);
  const entry = ctx.providers.entry(integration.provider);
  if (!check.ok) {
    // A variable the integration supplies (Salesforce auth_base_url) is the integration's fault.
    const fromIntegration = (name: string) =>
      entry?.template_variables[name]?.from === 'integration' && !(config !== null && typeof config === 'object' && name in config);
    throw invalid(
      check.problems.map((p) => ({
        field: p.variable === '' ? 'connection_config' : fromIntegration(p.variable) ? 'integration' : `connection_config.${p.variable}`,
        message: fromIntegration(p.variable) ? `the integration's ${p.variable} ${p.message}` : p.message,
      })),
    );
  }
  const stored: Record<string, string> = {};
  for (const [name, value] of Object.entries(check.values)) {
    if (entry?.template_variables[name]?.from === 'connection_config') stored[name] = value;
  }
  return stored;
}

/**
 * For the connect flow (connect sessions): the same check by integration key. Returns the
 * config to store on the connection; throws 400 for an unknown integration or a bad config.
 */
export async function validateConnectionConfigFor(ctx: AppContext, integrationKey: string, config: unknown): Promise<Record<string, string>> {
  const integration = await findIntegrationByKey(ctx.db.kysely, integrationKey);
  if (!integration) throw invalid([{ field: 'integration', message: `no integration with key "${integrationKey}"` }]);
  return validateConnectionConfig(ctx, integration, config);
}

export async function importConnection(ctx: AppContext, input: ImportInput): Promise<{ row: ConnectionRow; integration: IntegrationRow }> {
  const integration = await findIntegrationByKey(ctx.db.kysely, input.integration);
  if (!integration) throw invalid([{ field: 'integration', message: `no integration with key "${input.integration}"` }]);
  const connectionConfig = validateConnectionConfig(ctx, integration, input.connection_config);
  const { credentials } = input;

  const problems = [];
  let issuedAt: Date | null = null;
  if (credentials.issued_at !== undefined) {
    issuedAt = parseIssuedAt(credentials.issued_at);
    if (!issuedAt) problems.push({ field: 'credentials.issued_at', message: 'must be RFC 3339 or epoch milliseconds' });
  }
  let account: { orgId: string; userId: string } | null = null;
  if (credentials.id_url !== undefined) {
    account = ctx.providers.isSalesforce(integration.provider) ? parseIdentityUrl(credentials.id_url) : null;
    if (ctx.providers.isSalesforce(integration.provider) && !account) {
      problems.push({ field: 'credentials.id_url', message: 'must be a Salesforce identity URL (…/id/{orgId}/{userId})' });
    }
  }
  for (const field of ['instance_url', 'id_url'] as const) {
    const value = credentials[field];
    if (value !== undefined && !/^https?:\/\//i.test(value)) problems.push({ field: `credentials.${field}`, message: 'must be an http(s) URL' });
  }
  if (problems.length > 0) throw invalid(problems);

  const existing = await findConnectionByFingerprint(ctx.db.kysely, allRefreshTokenFingerprints(ctx.keyring, credentials.refresh_token));
  if (existing) {
    throw conflict('duplicate_grant', 'This refresh token is already held by another connection.', {
      connection_id: toPublicId('connection', existing.id),
    });
  }

  const refresh = integration.refresh as RefreshSettings;
  const id = newRowId();
  const now = new Date();
  const accessExpiresAt =
    credentials.access_token !== undefined ? new Date((issuedAt ?? now).getTime() + refresh.access_token_ttl_s * 1000) : null;

  try {
    const row = await ctx.db.kysely.transaction().execute(async (trx) => {
      await insertConnection(trx, {
        id,
        integration_id: integration.id,
        end_user_id: input.end_user.id,
        end_user_email: input.end_user.email ?? null,
        metadata: JSON.stringify(input.metadata ?? {}),
        connection_config: JSON.stringify(connectionConfig),
        scopes: JSON.stringify(integration.scopes),
        instance_url: credentials.instance_url?.replace(/\/+$/, '') ?? null,
        id_url: credentials.id_url ?? null,
        org_id: account?.orgId ?? null,
        user_id: account?.userId ?? null,
        access_token_enc:
          credentials.access_token !== undefined
            ? encryptSecret(ctx.keyring, credentials.access_token, secretPlace(id, 'access_token_enc'))
            : null,
        refresh_token_enc: encryptSecret(ctx.keyring, credentials.refresh_token, secretPlace(id, 'refresh_token_enc')),
        refresh_token_fp: refreshTokenFingerprint(ctx.keyring, credentials.refresh_token),
        access_token_expires_at: accessExpiresAt,
        authorized_at: issuedAt,
        next_refresh_at: new Date(now.getTime() + refresh.keepalive_s * 1000),
      });
      await insertEvent(trx, {
        id: newRowId(),
        connection_id: id,
        integration_id: integration.id,
        type: 'import',
        trigger: 'import',
        outcome: 'success',
        instance_id: ctx.config.instanceId,
      });
      if (account) {
        // An imported grant counts against the provider's per-user limit like a new one.
        await recordGrantWithGuard(ctx, trx, { integration, account, connectionId: id, issuedAt: issuedAt ?? now });
      }
      const sequence = await nextEventSequence(trx, id);
      const inserted = (await findConnection(trx, id))!;
      await emitEvent(trx, {
        type: 'connection.created',
        connectionId: id,
        integrationId: integration.id,
        data: { connection: connectionToApi(inserted, integration), sequence },
      });
      return inserted;
    });
    return { row, integration };
  } catch (error) {
    if ((error as { code?: string }).code === '23505') {
      throw conflict('duplicate_grant', 'This refresh token is already held by another connection.');
    }
    throw error;
  }
}

/**
 * Deletes locally and queues the provider-side revocation of the refresh token (kept
 * encrypted, re-bound to the revocation row, until the provider confirms or 24 h pass).
 */
export async function deleteConnection(ctx: AppContext, publicId: string): Promise<void> {
  const current = await requireConnection(ctx, publicId);
  const integration = await findIntegrationById(ctx.db.kysely, current.integration_id);
  if (!integration) throw notFound(`Connection "${publicId}"`);
  await ctx.db.kysely.transaction().execute(async (trx) => {
    const sequence = await nextEventSequence(trx, current.id);
    const row = await deleteConnectionRow(trx, current.id);
    if (!row) return; // deleted concurrently
    await queueRevocation(ctx, trx, row, integration);
    await endGrantsOfConnection(trx, row.id, 'deleted');
    await emitEvent(trx, {
      type: 'connection.deleted',
      connectionId: null,
      integrationId: row.integration_id,
      data: { connection: connectionToApi(row, integration), sequence },
    });
    await notifyConnectionChanged(trx, row.id, Number.MAX_SAFE_INTEGER);
  });
  ctx.tokenCache.invalidate(current.id);
}

/** `DELETE /v1/integrations/{key}?force=true`: every connection, in short transactions of ≤ 500. */
export async function deleteAllConnectionsOfIntegration(ctx: AppContext, integrationId: string): Promise<number> {
  let deleted = 0;
  for (;;) {
    const batch = await ctx.db.kysely
      .selectFrom('connections')
      .select('id')
      .where('integration_id', '=', integrationId)
      .limit(500)
      .execute();
    if (batch.length === 0) return deleted;
    for (const { id } of batch) {
      await deleteConnection(ctx, toPublicId('connection', id));
      deleted++;
    }
  }
}

/**
 * Queues the provider-side revocation of a deleted grant. The revocation row keeps what it
 * needs (endpoint, client, token — secrets re-encrypted for that row), because the
 * integration itself may be deleted before the provider answers.
 */
export async function queueRevocation(ctx: AppContext, trx: Executor, row: ConnectionRow, integration: IntegrationRow): Promise<void> {
  if (!row.refresh_token_enc) return;
  const refreshToken = decryptSecret(ctx.keyring, row.refresh_token_enc, secretPlace(row.id, 'refresh_token_enc'));
  await queueTokenRevocation(ctx, trx, { refreshToken, connectionId: row.id, connectionConfig: row.connection_config as Record<string, string> }, integration);
}

/** Queues the revocation of a refresh token given in plaintext (e.g. a new grant that is not kept). */
export async function queueTokenRevocation(
  ctx: AppContext,
  trx: Executor,
  grant: { refreshToken: string; connectionId: string | null; connectionConfig: Record<string, string> },
  integration: IntegrationRow,
): Promise<void> {
  let endpoints: ReturnType<typeof ctx.providers.endpoints>;
  try {
    endpoints = ctx.providers.endpoints(
      {
        provider: integration.provider,
        clientId: integration.client_id,
        scopes: integration.scopes as string[],
        authBaseUrl: integration.auth_base_url,
        providerConfig: integration.provider_config as Record<string, string>,
      },
      grant.connectionConfig,
    );
  } catch (error) {
    // A stored config the catalog no longer accepts: the delete goes on, unrevoked.
    ctx.log.warn({ err: { message: (error as Error).message } }, 'revoke URL could not be rendered; not revoking');
    return;
  }
  // No RFC 7009 endpoint (revoke_style none, custom or unknown): nothing to queue.
  if (!endpoints.revokeUrl) return;
  const { refreshToken } = grant;
  const clientSecret = integration.client_secret_enc
    ? decryptSecret(ctx.keyring, integration.client_secret_enc, integrationSecretPlace(integration.id))
    : null;
  const id = newRowId();
  const place = (column: string) => ({ table: 'revocations', column, rowId: id });
  await insertRevocation(trx, {
    id,
    integration_id: integration.id,
    connection_id: grant.connectionId,
    token_enc: encryptSecret(ctx.keyring, refreshToken, place('token_enc')),
    token_type_hint: 'refresh_token',
    revoke_url: endpoints.revokeUrl,
    client_id: integration.client_id,
    client_auth: endpoints.revokeClientAuth,
    client_secret_enc:
      clientSecret !== null && endpoints.revokeClientAuth !== 'none' ? encryptSecret(ctx.keyring, clientSecret, place('client_secret_enc')) : null,
    next_attempt_at: new Date(),
  });
}

export function apiStatus(row: Pick<ConnectionRow, 'status'>, integration: Pick<IntegrationRow, 'status'>) {
  return integration.status === 'error' ? ('integration_error' as const) : row.status;
}

export function connectionToApi(row: ConnectionRow, integration: Pick<IntegrationRow, 'key' | 'status'>) {
  return {
    id: toPublicId('connection', row.id),
    integration: integration.key,
    end_user: { id: row.end_user_id, email: row.end_user_email },
    status: apiStatus(row, integration),
    provider_account: {
      instance_url: row.instance_url,
      org_id: row.org_id,
      user_id: row.user_id,
      id_url: row.id_url,
    },
    scopes: row.scopes as string[],
    metadata: row.metadata as Record<string, unknown>,
    connection_config: row.connection_config as Record<string, string>,
    generation: Number(row.generation),
    access_token_expires_at: row.access_token_expires_at?.toISOString() ?? null,
    last_refreshed_at: row.last_refreshed_at?.toISOString() ?? null,
    refresh_token_expires_at: row.refresh_token_expires_at?.toISOString() ?? null,
    next_refresh_at: row.next_refresh_at?.toISOString() ?? null,
    consecutive_failures: row.consecutive_failures,
    last_error: row.last_error ?? null,
    diagnosis: (row.diagnosis as Diagnosis | null) ?? null,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export type ApiConnection = ReturnType<typeof connectionToApi>;
