// A connection as the API shows it (docs/api.md "Connections"). Pure: a row and its
// integration's key and status in, the public shape out.
import type { ConnectionRow, IntegrationRow } from '../db/types.js';
import { toPublicId } from './ids.js';

/** `integration_error` is derived: the integration's credentials are refused, not this grant. */
export function apiStatus(row: Pick<ConnectionRow, 'status'>, integration: Pick<IntegrationRow, 'status'>) {
  return integration.status === 'error' ? ('integration_error' as const) : row.status;
}

export function connectionToApi(row: ConnectionRow, integration: Pick<IntegrationRow, 'key' | 'status' | 'grant_type'>) {
  return {
    id: toPublicId('connection', row.id),
    integration: integration.key,
    external_id: row.external_id,
    end_user: { id: row.end_user_id, email: row.end_user_email },
    status: apiStatus(row, integration),
    // How its tokens are minted: a user's refresh token, or a server-to-server grant.
    grant_type: integration.grant_type,
    // The user a JWT Bearer grant acts as (credentials.subject at import); null otherwise.
    subject: row.grant_subject,
    provider_account: {
      instance_url: row.instance_url,
      org_id: row.org_id,
      user_id: row.user_id,
      id_url: row.id_url,
    },
    scopes: row.scopes,
    metadata: row.metadata,
    connection_config: row.connection_config,
    generation: Number(row.generation),
    access_token_expires_at: row.access_token_expires_at?.toISOString() ?? null,
    last_refreshed_at: row.last_refreshed_at?.toISOString() ?? null,
    refresh_token_expires_at: row.refresh_token_expires_at?.toISOString() ?? null,
    next_refresh_at: row.next_refresh_at?.toISOString() ?? null,
    consecutive_failures: row.consecutive_failures,
    last_error: row.last_error ?? null,
    diagnosis: row.diagnosis ?? null,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}
