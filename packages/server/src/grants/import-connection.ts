// `POST /v1/connections`: a grant obtained elsewhere becomes a connection. No provider call
// (unless the caller asks to verify it); the provider account is read from `id_url` where
// the provider's module knows how, otherwise it fills in from the first refresh.
import { recordAuditEvent } from '../audit/record.js';
import type { AppContext } from '../context.js';
import { allRefreshTokenFingerprints } from '../crypto/hashing.js';
import { isUniqueViolation } from '../db/errors.js';
import { findConnectionByExternalId } from '../db/connections/find-connection-by-external-id.js';
import { findIntegrationByKey } from '../db/integrations/find-integration.js';
import { findHeldRefreshToken } from '../db/retired-grants/find-held-refresh-token.js';
import type { ConnectionRow, IntegrationRow } from '../db/types.js';
import type { AuditContext } from '../domain/audit.js';
import { conflict, invalid, type FieldProblem } from '../errors.js';
import { validateConnectionConfig } from '../model/connection-config.js';
import { toPublicId } from '../model/ids.js';
import type { ProviderAccount } from '../providers/module-types.js';
import { createConnection } from './create-connection.js';

export interface ImportInput {
  integration: string;
  /** The id another system knows the connection by (Nango's connectionId); unique per integration. */
  external_id?: string;
  end_user: { id: string; email?: string | null };
  metadata?: Record<string, unknown>;
  connection_config?: Record<string, string>;
  credentials: {
    /** Required for authorization_code integrations; absent for server-to-server grants. */
    refresh_token?: string;
    /** jwt_bearer: the user the grant acts as (a username at the provider). */
    subject?: string;
    access_token?: string;
    instance_url?: string;
    id_url?: string;
    issued_at?: string;
  };
}

/** `issued_at` as RFC 3339 or epoch milliseconds (as some providers send it); null when malformed. */
export function parseIssuedAt(value: string): Date | null {
  if (/^\d{10,16}$/.test(value)) {
    const date = new Date(Number(value));
    return Number.isNaN(date.getTime()) ? null : date;
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(value)) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

const duplicate = (existingId?: string) =>
  conflict('duplicate_grant', 'This refresh token is already held by another connection.', existingId ? { connection_id: toPublicId('connection', existingId) } : {});

// Its first refresh would present a rotated-out token: a rotating provider answers by revoking
// the token family, and the connection that holds its successor dies with it.
const retired = (connectionId: string) =>
  conflict(
    'retired_grant',
    'This refresh token was held by this server before and has since been rotated out or replaced; using it again could make the provider revoke the connection that holds its successor. Import the current refresh token of the grant, or connect again.',
    { connection_id: toPublicId('connection', connectionId) },
  );

/** What the integration's grant type needs: a refresh token, a subject (JWT Bearer), or nothing. */
function grantCredentialProblems(integration: IntegrationRow, credentials: ImportInput['credentials']): FieldProblem[] {
  const kind = integration.grant_type;
  const problems: FieldProblem[] = [];
  if (kind === 'authorization_code' && credentials.refresh_token === undefined) problems.push({ field: 'credentials.refresh_token', message: 'is required' });
  if (kind !== 'authorization_code' && credentials.refresh_token !== undefined) {
    problems.push({ field: 'credentials.refresh_token', message: `is not used by a ${kind} integration: its tokens are minted without one` });
  }
  if (kind === 'jwt_bearer' && credentials.subject === undefined) problems.push({ field: 'credentials.subject', message: 'is required for a jwt_bearer integration (the username the grant acts as)' });
  if (kind !== 'jwt_bearer' && credentials.subject !== undefined) problems.push({ field: 'credentials.subject', message: 'is only used by jwt_bearer integrations' });
  return problems;
}

export async function importConnection(ctx: AppContext, audit: AuditContext, input: ImportInput): Promise<{ row: ConnectionRow; integration: IntegrationRow }> {
  const integration = await findIntegrationByKey(ctx.db.kysely, input.integration);
  if (!integration) throw invalid([{ field: 'integration', message: `no integration with key "${input.integration}"` }]);
  const connectionConfig = validateConnectionConfig(ctx, integration, input.connection_config);
  const { credentials } = input;

  const problems: FieldProblem[] = [];
  let issuedAt: Date | null = null;
  if (credentials.issued_at !== undefined) {
    issuedAt = parseIssuedAt(credentials.issued_at);
    if (!issuedAt) problems.push({ field: 'credentials.issued_at', message: 'must be RFC 3339 or epoch milliseconds' });
  }
  let account: ProviderAccount | null = null;
  const read = ctx.providers.module(integration.provider).readImportedAccount(credentials.id_url);
  if (read.ok) account = read.account;
  else problems.push({ field: 'credentials.id_url', message: read.message });
  for (const field of ['instance_url', 'id_url'] as const) {
    const value = credentials[field];
    if (value !== undefined && !/^https?:\/\//i.test(value)) problems.push({ field: `credentials.${field}`, message: 'must be an http(s) URL' });
  }
  // A provider whose API base comes from its token response: an imported one is checked the same way.
  let instanceUrl = credentials.instance_url?.replace(/\/+$/, '') ?? null;
  if (instanceUrl !== null && /^https?:\/\//i.test(instanceUrl)) {
    const checked = ctx.providers.checkImportedInstanceUrl(integration.provider, instanceUrl);
    if (checked.ok) instanceUrl = checked.url;
    else problems.push({ field: 'credentials.instance_url', message: checked.message });
  }
  problems.push(...grantCredentialProblems(integration, credentials));
  if (problems.length > 0) throw invalid(problems);

  if (input.external_id !== undefined) await assertExternalIdFree(ctx, integration, input.external_id);
  if (credentials.refresh_token !== undefined) {
    const held = await findHeldRefreshToken(ctx.db.kysely, allRefreshTokenFingerprints(ctx.keyring, credentials.refresh_token));
    if (held) throw held.heldAs === 'current' ? duplicate(held.connectionId) : retired(held.connectionId);
  }

  const refresh = integration.refresh;
  const now = new Date();
  try {
    const created = await ctx.db.kysely.transaction().execute(async (trx) => {
      const connection = await createConnection(ctx, trx, {
        integration,
        origin: 'import',
        endUser: { id: input.end_user.id, email: input.end_user.email ?? null },
        metadata: input.metadata ?? {},
        connectionConfig,
        scopes: integration.scopes,
        refreshToken: credentials.refresh_token ?? null,
        subject: credentials.subject ?? null,
        accessToken: credentials.access_token ?? null,
        accessTokenExpiresAt: credentials.access_token !== undefined ? new Date((issuedAt ?? now).getTime() + refresh.access_token_ttl_s * 1000) : null,
        instanceUrl,
        idUrl: credentials.id_url ?? null,
        account,
        authorizedAt: issuedAt,
        // A kept-warm server-to-server grant has no token yet and nothing to keep alive: mint at once.
        nextRefreshAt: integration.grant_type !== 'authorization_code' && refresh.keep_warm && credentials.access_token === undefined ? now : new Date(now.getTime() + refresh.keepalive_s * 1000),
        externalId: input.external_id ?? null,
      });
      await recordAuditEvent(trx, audit, 'connection.imported', { type: 'connection', id: toPublicId('connection', connection.row.id) });
      return connection;
    });
    return { row: created.row, integration };
  } catch (error) {
    if (isUniqueViolation(error)) {
      // Two unique rules can refuse the row: the external id (a concurrent import) or the grant.
      if (input.external_id !== undefined) await assertExternalIdFree(ctx, integration, input.external_id);
      throw duplicate();
    }
    throw error;
  }
}

/** 409 external_id_taken when another connection of the integration already carries the id. */
export async function assertExternalIdFree(ctx: AppContext, integration: IntegrationRow, externalId: string): Promise<void> {
  const holder = await findConnectionByExternalId(ctx.db.kysely, integration.id, externalId);
  if (holder) {
    throw conflict('external_id_taken', `Another connection of integration "${integration.key}" already has external_id "${externalId}".`, {
      connection_id: toPublicId('connection', holder.id),
    });
  }
}
