// Grantkeeper's rows in the shapes Nango's API answers with (the ones `@nangohq/node`
// 0.71 parses: its `ApiPublicConnection`, `ApiPublicConnectionFull`, `ApiPublicIntegration`).
// Pure. Where Nango has a number (its row id), Grantkeeper gives its own public id; where
// Nango lists a connection's errors, Grantkeeper's diagnosis rides along in the entry.
import type { ConnectionRow, IntegrationRow } from '../../db/types.js';
import { apiStatus } from '../../model/connection-view.js';
import { toPublicId } from '../../model/ids.js';

/** Nango's `connectionId` of a connection: its external_id, else its Grantkeeper id. */
export const nangoConnectionId = (row: Pick<ConnectionRow, 'id' | 'external_id'>) => row.external_id ?? toPublicId('connection', row.id);

function endUserOf(row: ConnectionRow) {
  return { id: row.end_user_id, email: row.end_user_email, display_name: null, tags: null, organization: null };
}

/** Nango's `errors` list: one `auth` entry while the grant is failing, carrying the diagnosis. */
function errorsOf(row: ConnectionRow, integration: Pick<IntegrationRow, 'status'>) {
  const status = apiStatus(row, integration);
  if (status === 'active') return [];
  return [
    {
      type: 'auth',
      log_id: toPublicId('connection', row.id),
      status,
      code: row.diagnosis?.code ?? row.last_error?.error ?? status,
      message: row.diagnosis?.summary ?? row.last_error?.error_description ?? null,
      diagnosis: row.diagnosis ?? null,
      last_error: row.last_error ?? null,
    },
  ];
}

/** `connection_config` as Nango keeps it: the connection's own, plus the instance URL where the provider gave one. */
function connectionConfigOf(row: ConnectionRow): Record<string, string> {
  return { ...row.connection_config, ...(row.instance_url ? { instance_url: row.instance_url } : {}) };
}

/** One entry of `GET /connections` (`{ connections: [...] }`). */
export function nangoConnectionSummary(row: ConnectionRow, integration: IntegrationRow) {
  return {
    id: toPublicId('connection', row.id),
    connection_id: nangoConnectionId(row),
    provider_config_key: integration.key,
    provider: integration.provider,
    created: row.created_at.toISOString(),
    metadata: row.metadata,
    errors: errorsOf(row, integration),
    end_user: endUserOf(row),
    tags: {},
  };
}

export interface NangoCredentials {
  accessToken: string;
  expiresAt: string;
  /** Only when the caller asked for it (`refresh_token=true`). */
  refreshToken?: string;
}

/** `GET /connections/{connectionId}` and the import's answer. Without credentials: no tokens at all. */
export function nangoConnection(row: ConnectionRow, integration: IntegrationRow, credentials: NangoCredentials | null) {
  const tokens = credentials
    ? {
        access_token: credentials.accessToken,
        expires_at: credentials.expiresAt,
        ...(credentials.refreshToken !== undefined ? { refresh_token: credentials.refreshToken } : {}),
      }
    : { expires_at: row.access_token_expires_at?.toISOString() ?? null };
  return {
    id: toPublicId('connection', row.id),
    connection_id: nangoConnectionId(row),
    provider_config_key: integration.key,
    provider: integration.provider,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    last_fetched_at: credentials ? new Date().toISOString() : null,
    metadata: row.metadata,
    connection_config: connectionConfigOf(row),
    webhook_url_override: null,
    errors: errorsOf(row, integration),
    end_user: endUserOf(row),
    tags: {},
    credentials: {
      type: 'OAUTH2',
      ...tokens,
      // Nango keeps the provider's raw token response; Grantkeeper keeps what it needs of it.
      raw: { ...tokens, token_type: 'Bearer', ...(row.instance_url ? { instance_url: row.instance_url } : {}) },
    },
  };
}

/** One integration as `GET /integrations` lists it. Never a client secret. */
export function nangoIntegration(integration: IntegrationRow, displayName: string, include: { credentials: boolean; webhook: boolean }) {
  return {
    unique_key: integration.key,
    display_name: displayName,
    provider: integration.provider,
    logo: '',
    forward_webhooks: false,
    created_at: integration.created_at.toISOString(),
    updated_at: integration.updated_at.toISOString(),
    ...(include.webhook ? { webhook_url: null } : {}),
    ...(include.credentials
      ? { credentials: { type: 'OAUTH2', client_id: integration.client_id, client_secret: null, scopes: integration.scopes.join(','), webhook_secret: null } }
      : {}),
  };
}
