// Connect sessions: a one-time link (`/connect/{token}`) that lets one end user authorize
// one integration, optionally re-authenticating an existing connection in place. Only the
// token's hash is stored; the link lives `connect.sessionTtlS` (30 minutes by default).
import { recordAuditEvent } from '../audit/record.js';
import type { AppContext } from '../context.js';
import { randomToken, sha256Hex } from '../crypto/hashing.js';
import { findUnusedSessions } from '../db/connect-sessions/find-unused-sessions.js';
import { insertConnectSession } from '../db/connect-sessions/insert-session.js';
import { findConnection } from '../db/connections/find-connection.js';
import { findIntegrationById, findIntegrationByKey } from '../db/integrations/find-integration.js';
import type { ConnectSessionRow } from '../db/connect-sessions/find-session.js';
import type { ConnectionRow } from '../db/types.js';
import type { Keyring } from '../crypto/keyring.js';
import type { AuditContext, AuditTarget } from '../domain/audit.js';
import { invalid, type FieldProblem } from '../errors.js';
import { validateConnectionConfig } from '../model/connection-config.js';
import { fromPublicId, newRowId, toPublicId } from '../model/ids.js';
import { assertExternalIdFree } from '../grants/import-connection.js';
import { returnUrlProblem } from './return-url.js';

export interface ConnectSessionInput {
  integration: string;
  end_user: { id: string; email?: string | null };
  connection_id?: string;
  /** The external_id of the connection this session creates (unique per integration). */
  external_id?: string;
  return_url?: string;
  connection_config?: Record<string, string>;
  /** Refresh the new grant once right after the code exchange; default: the provider's catalog entry. */
  verify?: boolean;
}

export interface CreatedSession {
  token: string;
  url: string;
  expires_at: string;
  verify: boolean;
}

export const connectUrl = (publicUrl: string, token: string) => `${publicUrl}/connect/${encodeURIComponent(token)}`;

/**
 * `visible`: the integration keys the caller's API key is limited to (null: all). A hidden
 * integration, or a connection of one, is refused exactly as an unknown one.
 */
export async function createConnectSession(ctx: AppContext, audit: AuditContext, input: ConnectSessionInput, visible: ReadonlySet<string> | null = null): Promise<CreatedSession> {
  const problems: FieldProblem[] = [];
  const integration = visible === null || visible.has(input.integration) ? await findIntegrationByKey(ctx.db.kysely, input.integration) : undefined;
  if (!integration) problems.push({ field: 'integration', message: `no integration with key "${input.integration}"` });
  // Server-to-server grants have no end user to send through a login: import them instead.
  else if (integration.grant_type !== 'authorization_code') {
    problems.push({ field: 'integration', message: `is a ${integration.grant_type} integration: its connections are imported (POST /v1/connections), not connected by an end user` });
  }
  if (input.return_url !== undefined) {
    const problem = returnUrlProblem(input.return_url, ctx.config.returnUrlAllowlist);
    if (problem) problems.push({ field: 'return_url', message: problem });
  }
  let connection: ConnectionRow | undefined;
  if (input.connection_id !== undefined) {
    const id = fromPublicId('connection', input.connection_id);
    connection = id ? await findConnection(ctx.db.kysely, id) : undefined;
    if (connection && visible !== null && !(await isVisibleIntegration(ctx, connection.integration_id, visible))) connection = undefined;
    if (!connection) problems.push({ field: 'connection_id', message: 'no such connection' });
    else if (integration && connection.integration_id !== integration.id) {
      problems.push({ field: 'connection_id', message: `belongs to another integration than "${input.integration}"` });
    } else if (connection.end_user_id !== input.end_user.id) {
      problems.push({ field: 'connection_id', message: 'belongs to another end user' });
    }
  }
  if (input.external_id !== undefined && connection && connection.external_id !== input.external_id) {
    problems.push({ field: 'external_id', message: 'differs from the external_id of the connection it re-authenticates' });
  }
  if (problems.length > 0 || !integration) throw invalid(problems);
  if (input.external_id !== undefined && !connection) await assertExternalIdFree(ctx, integration, input.external_id);
  const config = validateConnectionConfig(
    ctx,
    integration,
    input.connection_config ?? (connection ? connection.connection_config : undefined),
  );
  // The audit target is what the session is for: the connection it re-authenticates, else the integration.
  const target: AuditTarget = connection ? connectionTarget(connection) : { type: 'integration', id: integration.key };
  return insertSession(ctx, audit, target, {
    integrationId: integration.id,
    endUserId: input.end_user.id,
    endUserEmail: input.end_user.email ?? null,
    connectionId: connection?.id ?? null,
    externalId: connection ? null : (input.external_id ?? null),
    returnUrl: input.return_url ?? null,
    connectionConfig: config,
    verify: input.verify ?? verifiesByDefault(ctx, integration.provider),
  });
}

async function isVisibleIntegration(ctx: AppContext, integrationId: string, visible: ReadonlySet<string>): Promise<boolean> {
  const row = await findIntegrationById(ctx.db.kysely, integrationId);
  return row !== undefined && visible.has(row.key);
}

/** Whether the provider's catalog entry asks for new grants to be verified (Grantkeeper's default). */
const verifiesByDefault = (ctx: AppContext, provider: string) => ctx.providers.describe(provider)?.verifyOnConnect ?? false;

/**
 * The token of a session a reconnect link made: derived from its row id under a key of the
 * keyring, so the link can show the same unused session again instead of making a new one
 * on every visit (only the token's hash is stored, as for every session).
 */
function reconnectSessionToken(keyring: Keyring, sessionId: string): string {
  return `ct_${keyring.hmac('reconnect-session-token', sessionId).toString('base64url')}`;
}

/** True for a session a reconnect link made (its token is the derived one). */
export function madeByReconnectLink(keyring: Keyring, session: Pick<ConnectSessionRow, 'id' | 'token_hash'>): boolean {
  return sha256Hex(reconnectSessionToken(keyring, session.id)) === session.token_hash;
}

/**
 * The session a signed reconnect link shows: the connection's unused one a reconnect link
 * made, while it has at least half its lifetime left; otherwise a fresh one (the connection's
 * end user, config and last return URL). Visiting a link again and again makes no new rows.
 */
export async function createReconnectSession(ctx: AppContext, audit: AuditContext, connection: ConnectionRow): Promise<CreatedSession> {
  const ttlMs = ctx.config.connect.sessionTtlS * 1000;
  const candidates = await findUnusedSessions(ctx.db.kysely, connection.id, new Date(Date.now() + ttlMs / 2), 5);
  const reusable = candidates.find((session) => madeByReconnectLink(ctx.keyring, session));
  if (reusable) {
    const token = reconnectSessionToken(ctx.keyring, reusable.id);
    return { token, url: connectUrl(ctx.config.publicUrl, token), expires_at: reusable.expires_at.toISOString(), verify: reusable.verify };
  }
  // The allowlist may have changed since the URL was stored: an unacceptable one is dropped.
  const returnUrl = connection.return_url && returnUrlProblem(connection.return_url, ctx.config.returnUrlAllowlist) === null ? connection.return_url : null;
  const integration = await findIntegrationById(ctx.db.kysely, connection.integration_id);
  return insertSession(
    ctx,
    audit,
    connectionTarget(connection),
    {
      integrationId: connection.integration_id,
      endUserId: connection.end_user_id,
      endUserEmail: connection.end_user_email,
      connectionId: connection.id,
      returnUrl,
      connectionConfig: connection.connection_config,
      verify: integration ? verifiesByDefault(ctx, integration.provider) : false,
    },
    (id) => reconnectSessionToken(ctx.keyring, id),
  );
}

const connectionTarget = (connection: ConnectionRow): AuditTarget => ({ type: 'connection', id: toPublicId('connection', connection.id) });

/** The session row and its audit row (never the token: it is a secret), one transaction. */
async function insertSession(
  ctx: AppContext,
  audit: AuditContext,
  target: AuditTarget,
  s: {
    integrationId: string;
    endUserId: string;
    endUserEmail: string | null;
    connectionId: string | null;
    externalId?: string | null;
    returnUrl: string | null;
    connectionConfig: Record<string, string>;
    verify: boolean;
  },
  tokenFor: (id: string) => string = () => randomToken('ct_'),
): Promise<CreatedSession> {
  const id = newRowId();
  const token = tokenFor(id);
  const expiresAt = new Date(Date.now() + ctx.config.connect.sessionTtlS * 1000);
  await ctx.db.kysely.transaction().execute(async (trx) => {
    await insertConnectSession(trx, {
      id,
      token_hash: sha256Hex(token),
      integration_id: s.integrationId,
      end_user_id: s.endUserId,
      end_user_email: s.endUserEmail,
      connection_id: s.connectionId,
      external_id: s.externalId ?? null,
      return_url: s.returnUrl,
      connection_config: JSON.stringify(s.connectionConfig),
      expires_at: expiresAt,
      verify: s.verify,
    });
    await recordAuditEvent(trx, audit, 'connect_session.created', target);
  });
  return { token, url: connectUrl(ctx.config.publicUrl, token), expires_at: expiresAt.toISOString(), verify: s.verify };
}
