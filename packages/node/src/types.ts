// Wire types. Everything that travels over the Grantkeeper HTTP API keeps the API's own
// snake_case spelling (docs/api.md), so what you read in the API reference is what you get here.
// Only things the SDK itself makes — call options, `Token`, error properties — are camelCase.

export type ConnectionStatus = 'active' | 'refresh_failing' | 'needs_reauth' | 'integration_error';

/**
 * How an integration's access tokens are minted: an end user's authorization and its refresh
 * token, or a server-to-server grant (docs/api.md "Server-to-server grants").
 */
export type GrantType = 'authorization_code' | 'client_credentials' | 'jwt_bearer';

export type WhoFixes = 'end_user' | 'org_admin' | 'developer' | 'nobody_transient';

export interface Diagnosis {
  code: string;
  summary: string;
  causes: string[];
  fix: string[];
  who_fixes: WhoFixes;
  prevention: { who: string; step: string }[];
  confidence: 'certain' | 'probable';
}

/** The provider's own error, exactly as it sent it (truncated by the server to 1 KB). */
export interface ProviderError {
  at: string;
  http_status: number | null;
  error: string | null;
  error_description: string | null;
}

export interface ProviderAccount {
  instance_url?: string | null;
  org_id?: string | null;
  user_id?: string | null;
  id_url?: string | null;
  [key: string]: unknown;
}

export interface EndUser {
  id: string;
  email?: string | null;
}

export interface Connection {
  id: string;
  integration: string;
  /** The id another system knows it by (e.g. its Nango connectionId); unique per integration. */
  external_id?: string | null;
  end_user: EndUser;
  status: ConnectionStatus;
  /** The integration's grant type (servers before server-to-server grants omit it). */
  grant_type?: GrantType;
  /** The user a `jwt_bearer` grant acts as; null for other grant types. */
  subject?: string | null;
  provider_account: ProviderAccount | null;
  scopes: string[];
  metadata: Record<string, unknown>;
  generation: number;
  access_token_expires_at: string | null;
  last_refreshed_at: string | null;
  next_refresh_at: string | null;
  consecutive_failures: number;
  last_error: ProviderError | null;
  diagnosis: Diagnosis | null;
  created_at: string;
  updated_at: string;
  [key: string]: unknown;
}

export interface Integration {
  key: string;
  provider: string;
  /** The redirect URI to register at the provider (GRANTKEEPER_PUBLIC_URL + /oauth/callback). */
  callback_url: string;
  grant_type?: GrantType;
  /** `jwt_bearer` only: the `aud` of each assertion. */
  jwt_audience?: string | null;
  /** The public half of the integration's signing key (the private key is never returned). */
  public_key_pem?: string | null;
  public_key_fingerprint_sha256?: string | null;
  status: 'ok' | 'error';
  last_error: ProviderError | null;
  [key: string]: unknown;
}

/** `GET /v1/connections/{id}/token` as sent on the wire. */
export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_at: string;
  instance_url: string | null;
  generation: number;
}

/** What `getToken` returns: made by the SDK, hence camelCase and a real `Date`. */
export interface Token {
  accessToken: string;
  tokenType: string;
  expiresAt: Date;
  instanceUrl: string | null;
  generation: number;
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

/** Query filters of `GET /v1/connections`, spelled as on the wire. */
export interface ListConnectionsParams {
  integration?: string;
  status?: ConnectionStatus;
  end_user_id?: string;
  org_id?: string;
  /** The connection that carries this external id (e.g. its Nango connectionId). */
  external_id?: string;
  /** Only connections whose current diagnosis has this code (e.g. `immediate_expiry_policy`). */
  diagnosis?: string;
  /** Page size (server default 50, max 500). */
  limit?: number;
  /** Start from this cursor instead of the first page. */
  cursor?: string;
}

/** Body of `POST /v1/connect-sessions`, spelled as on the wire. */
export interface CreateConnectSessionParams {
  integration: string;
  end_user: EndUser;
  /** Re-authenticate this connection in place. */
  connection_id?: string;
  /** The external id the new connection will carry (unique per integration). */
  external_id?: string;
  return_url?: string;
  /** Refresh the new grant once right after the code exchange (default: the provider's catalog entry). */
  verify?: boolean;
}

export interface ConnectSession {
  token: string;
  url: string;
  expires_at: string;
  /** Whether the flow verifies the new grant before reporting success. */
  verify: boolean;
}

/** RFC 9457 problem details as Grantkeeper sends them, with its extra members. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  errors?: { field: string; message: string }[];
  [key: string]: unknown;
}

// ---- Webhook events (docs/api.md "Webhook events"). Body: { type, timestamp, data }. ----
// Every connection event's data carries the connection's status, generation and a
// per-connection sequence (to order events delivered out of order, at least once).
// Members the server adds later stay readable through the index signatures.

interface ConnectionEventBase {
  connection: Connection;
  status: ConnectionStatus;
  generation: number;
  sequence: number;
  [key: string]: unknown;
}

interface Event<T extends string, D> {
  type: T;
  /** RFC 3339 time of the transition. */
  timestamp: string;
  data: D;
}

export type ConnectionCreatedEvent = Event<'connection.created', ConnectionEventBase>;
export type ConnectionReconnectedEvent = Event<'connection.reconnected', ConnectionEventBase>;
export type ConnectionRefreshFailingEvent = Event<
  'connection.refresh_failing',
  ConnectionEventBase & { last_error: ProviderError | null }
>;
export type ConnectionReauthRequiredEvent = Event<
  'connection.reauth_required',
  ConnectionEventBase & { diagnosis: Diagnosis | null; reconnect_url: string }
>;
export type ConnectionRecoveredEvent = Event<'connection.recovered', ConnectionEventBase>;
export type ConnectionDiagnosisChangedEvent = Event<
  'connection.diagnosis_changed',
  ConnectionEventBase & { diagnosis: Diagnosis | null }
>;
export type ConnectionGrantLimitWarningEvent = Event<
  'connection.grant_limit_warning',
  ConnectionEventBase & { newer_connection_id: string }
>;
export type ConnectionDeletedEvent = Event<'connection.deleted', ConnectionEventBase>;

interface IntegrationEventBase {
  integration: Integration;
  [key: string]: unknown;
}

export type IntegrationErrorEvent = Event<
  'integration.error',
  IntegrationEventBase & { last_error: ProviderError | null; affected_connection_count: number }
>;
export type IntegrationRecoveredEvent = Event<'integration.recovered', IntegrationEventBase>;
export type IntegrationFailureSpikeEvent = Event<
  'integration.failure_spike',
  IntegrationEventBase & {
    /** The one Salesforce org behind the spike, or null when it spans orgs. */
    org_id: string | null;
    count: number;
    window_s: number;
    connection_ids: string[];
    diagnosis: Diagnosis | null;
  }
>;

export type WebhookEvent =
  | ConnectionCreatedEvent
  | ConnectionReconnectedEvent
  | ConnectionRefreshFailingEvent
  | ConnectionReauthRequiredEvent
  | ConnectionRecoveredEvent
  | ConnectionDiagnosisChangedEvent
  | ConnectionGrantLimitWarningEvent
  | ConnectionDeletedEvent
  | IntegrationErrorEvent
  | IntegrationRecoveredEvent
  | IntegrationFailureSpikeEvent;

export type WebhookEventType = WebhookEvent['type'];
