// Connect sessions: a one-time link (`/connect/{token}`) that lets one end user authorize
// one integration, optionally re-authenticating an existing connection in place. Only the
// token's hash is stored; the link lives `connect.sessionTtlS` (30 minutes by default).
import { recordAuditEvent } from '../audit/record.js';
import type { AppContext } from '../context.js';
import { randomToken, sha256Hex } from '../crypto/hashing.js';
import { insertConnectSession } from '../db/connect-sessions/insert-session.js';
import { findConnection } from '../db/connections/find-connection.js';
import { findIntegrationByKey } from '../db/integrations/find-integration.js';
import type { ConnectionRow } from '../db/types.js';
import type { AuditContext, AuditTarget } from '../domain/audit.js';
import { invalid, type FieldProblem } from '../errors.js';
import { validateConnectionConfig } from '../model/connection-config.js';
import { fromPublicId, newRowId, toPublicId } from '../model/ids.js';
import { returnUrlProblem } from './return-url.js';

export interface ConnectSessionInput {
  integration: string;
  end_user: { id: string; email?: string | null };
  connection_id?: string;
  return_url?: string;
  connection_config?: Record<string, string>;
}

export interface CreatedSession {
  token: string;
  url: string;
  expires_at: string;
}

export const connectUrl = (publicUrl: string, token: string) => `${publicUrl}/connect/${encodeURIComponent(token)}`;

export async function createConnectSession(ctx: AppContext, audit: AuditContext, input: ConnectSessionInput): Promise<CreatedSession> {
  const problems: FieldProblem[] = [];
  const integration = await findIntegrationByKey(ctx.db.kysely, input.integration);
  if (!integration) problems.push({ field: 'integration', message: `no integration with key "${input.integration}"` });
  if (input.return_url !== undefined) {
    const problem = returnUrlProblem(input.return_url, ctx.config.returnUrlAllowlist);
    if (problem) problems.push({ field: 'return_url', message: problem });
  }
  let connection: ConnectionRow | undefined;
  if (input.connection_id !== undefined) {
    const id = fromPublicId('connection', input.connection_id);
    connection = id ? await findConnection(ctx.db.kysely, id) : undefined;
    if (!connection) problems.push({ field: 'connection_id', message: 'no such connection' });
    else if (integration && connection.integration_id !== integration.id) {
      problems.push({ field: 'connection_id', message: `belongs to another integration than "${input.integration}"` });
    } else if (connection.end_user_id !== input.end_user.id) {
      problems.push({ field: 'connection_id', message: 'belongs to another end user' });
    }
  }
  if (problems.length > 0 || !integration) throw invalid(problems);
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
    returnUrl: input.return_url ?? null,
    connectionConfig: config,
  });
}

/** A fresh session for a signed reconnect link: the connection's end user, config and last return URL. */
export async function createReconnectSession(ctx: AppContext, audit: AuditContext, connection: ConnectionRow): Promise<CreatedSession> {
  // The allowlist may have changed since the URL was stored: an unacceptable one is dropped.
  const returnUrl = connection.return_url && returnUrlProblem(connection.return_url, ctx.config.returnUrlAllowlist) === null ? connection.return_url : null;
  return insertSession(ctx, audit, connectionTarget(connection), {
    integrationId: connection.integration_id,
    endUserId: connection.end_user_id,
    endUserEmail: connection.end_user_email,
    connectionId: connection.id,
    returnUrl,
    connectionConfig: connection.connection_config,
  });
}

const connectionTarget = (connection: ConnectionRow): AuditTarget => ({ type: 'connection', id: toPublicId('connection', connection.id) });

/** The session row and its audit row (never the token: it is a secret), one transaction. */
async function insertSession(
  ctx: AppContext,
  audit: AuditContext,
  target: AuditTarget,
  s: { integrationId: string; endUserId: string; endUserEmail: string | null; connectionId: string | null; returnUrl: string | null; connectionConfig: Record<string, string> },
): Promise<CreatedSession> {
  const token = randomToken('ct_');
  const expiresAt = new Date(Date.now() + ctx.config.connect.sessionTtlS * 1000);
  await ctx.db.kysely.transaction().execute(async (trx) => {
    await insertConnectSession(trx, {
      id: newRowId(),
      token_hash: sha256Hex(token),
      integration_id: s.integrationId,
      end_user_id: s.endUserId,
      end_user_email: s.endUserEmail,
      connection_id: s.connectionId,
      return_url: s.returnUrl,
      connection_config: JSON.stringify(s.connectionConfig),
      expires_at: expiresAt,
    });
    await recordAuditEvent(trx, audit, 'connect_session.created', target);
  });
  return { token, url: connectUrl(ctx.config.publicUrl, token), expires_at: expiresAt.toISOString() };
}
