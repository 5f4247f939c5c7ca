// Kysely's view of the schema (the migrations in migrations/ are the source of truth).
import type { ColumnType, Generated } from 'kysely';
import type { ActorType } from '../domain/access.js';
import type { AuditAction, AuditDetail, AuditTargetType } from '../domain/audit.js';
import type { Diagnosis } from '../domain/diagnosis.js';
import type { Scope } from '../domain/access.js';
import type { ConnectionConfig, ConnectionStatus, CustomProviderConfig, IntegrationGrantType, IntegrationStatus, LastError, RefreshSettings } from '../domain/grants.js';

// Column types: what a select returns, what an insert takes, what an update takes.
// JSON columns are written as JSON text (pg would otherwise send arrays as Postgres arrays).
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type TimestampDefault = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Json<T> = ColumnType<T, string, string>;
type JsonDefault<T> = ColumnType<T, string | undefined, string>;
type NullableJson<T> = ColumnType<T | null, string | null | undefined, string | null>;

export interface IntegrationsTable {
  id: string;
  key: string;
  provider: string;
  client_id: string;
  client_secret_enc: string | null;
  /** The secret `client_secret` replaced, kept until the expiry below (0006). */
  previous_client_secret_enc: string | null;
  previous_client_secret_expires_at: NullableTimestamp;
  /** How long a replaced client secret stays usable, in seconds (0006). */
  client_secret_overlap_s: Generated<number>;
  scopes: Json<string[]>;
  auth_base_url: string | null;
  provider_config: Json<CustomProviderConfig>;
  refresh: Json<RefreshSettings>;
  status: Generated<IntegrationStatus>;
  last_error: NullableJson<LastError>;
  generation: Generated<number>;
  created_at: CreatedAt;
  updated_at: TimestampDefault;
  /** NULL (the instance's egress), 'direct', or the proxy URL with its password masked (migration 0005). */
  outbound_proxy: ColumnType<string | null, string | null | undefined, string | null>;
  /** The full proxy URL, encrypted; set exactly when outbound_proxy is a URL. */
  outbound_proxy_enc: ColumnType<string | null, string | null | undefined, string | null>;
  /** How access tokens are minted (migration 0008). */
  grant_type: ColumnType<IntegrationGrantType, IntegrationGrantType | undefined, IntegrationGrantType>;
  /** 'private_key_jwt' (RFC 7523 client authentication), or NULL: the provider's own (0008). */
  client_auth: ColumnType<'private_key_jwt' | null, 'private_key_jwt' | null | undefined, 'private_key_jwt' | null>;
  /** The PKCS#8 private key, encrypted for its row (0008). */
  private_key_enc: ColumnType<string | null, string | null | undefined, string | null>;
  /** Its public half (SPKI PEM): not a secret, shown so a certificate can be made (0008). */
  public_key_pem: ColumnType<string | null, string | null | undefined, string | null>;
  /** The `aud` of JWT Bearer assertions (0008). */
  jwt_audience: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface ConnectionsTable {
  id: string;
  integration_id: string;
  end_user_id: string;
  end_user_email: string | null;
  metadata: JsonDefault<Record<string, unknown>>;
  connection_config: JsonDefault<ConnectionConfig>;
  status: Generated<ConnectionStatus>;
  scopes: JsonDefault<string[]>;
  instance_url: string | null;
  org_id: string | null;
  user_id: string | null;
  id_url: string | null;
  access_token_enc: string | null;
  refresh_token_enc: string | null;
  refresh_token_fp: string | null;
  access_token_expires_at: NullableTimestamp;
  generation: Generated<number>;
  authorized_at: NullableTimestamp;
  last_refreshed_at: NullableTimestamp;
  last_rotation_at: NullableTimestamp;
  refresh_token_expires_at: NullableTimestamp;
  consecutive_failures: Generated<number>;
  last_error: NullableJson<LastError>;
  diagnosis: NullableJson<Diagnosis>;
  backoff_until: NullableTimestamp;
  reprobe_attempts: Generated<number>;
  lease_owner: string | null;
  lease_expires_at: NullableTimestamp;
  refresh_intent_id: string | null;
  outcome_unknown_at: NullableTimestamp;
  integration_error_at: NullableTimestamp;
  next_refresh_at: NullableTimestamp;
  claimed_by: string | null;
  event_sequence: Generated<number>;
  return_url: string | null;
  /** How the stored grant came to be (migration 0007); null: stored before it was recorded. */
  grant_origin: ColumnType<GrantOrigin | null, GrantOrigin | null | undefined, GrantOrigin | null>;
  /** The user a JWT Bearer grant acts as (migration 0008); null for every other kind. */
  grant_subject: ColumnType<string | null, string | null | undefined, string | null>;
  /** The id another system knows this connection by, unique per integration (migration 0011). */
  external_id: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: CreatedAt;
  updated_at: TimestampDefault;
}

export type GrantOrigin = 'connect' | 'import';

export interface EventsTable {
  id: string;
  connection_id: string | null;
  integration_id: string | null;
  at: TimestampDefault;
  type: string;
  trigger: string | null;
  outcome: string | null;
  http_status: number | null;
  error: string | null;
  error_description: string | null;
  duration_ms: number | null;
  rotated: Generated<boolean>;
  instance_id: string | null;
  detail: JsonDefault<Record<string, unknown>>;
}

export interface OutboxTable {
  id: string;
  type: string;
  connection_id: string | null;
  integration_id: string | null;
  payload: Json<Record<string, unknown>>;
  created_at: CreatedAt;
  fanned_out_at: NullableTimestamp;
}

export interface WebhookEndpointsTable {
  id: string;
  url: string;
  events: NullableJson<string[]>;
  enabled: Generated<boolean>;
  disabled_reason: string | null;
  secret_enc: string;
  previous_secret_enc: string | null;
  previous_secret_expires_at: NullableTimestamp;
  /** The bodies and signature it receives (migration 0011). */
  format: ColumnType<WebhookFormat, WebhookFormat | undefined, WebhookFormat>;
  created_at: CreatedAt;
  updated_at: TimestampDefault;
}

/** `standard`: Grantkeeper's events, Standard Webhooks signatures; `nango`: Nango's auth webhooks. */
export type WebhookFormat = 'standard' | 'nango';

export interface WebhookDeliveriesTable {
  id: string;
  outbox_id: string;
  endpoint_id: string;
  status: Generated<'pending' | 'delivered' | 'failed'>;
  attempts: Generated<number>;
  next_attempt_at: NullableTimestamp;
  claimed_by: string | null;
  last_attempt_at: NullableTimestamp;
  last_response_status: number | null;
  last_response_body: string | null;
  last_error: string | null;
  created_at: CreatedAt;
  delivered_at: NullableTimestamp;
}

export interface GrantLedgerTable {
  id: string;
  provider: string;
  client_id: string;
  org_id: string;
  user_id: string;
  connection_id: string | null;
  issued_at: Timestamp;
  live: Generated<boolean>;
  ended_at: NullableTimestamp;
  ended_reason: string | null;
}

export interface RateBucketsTable {
  integration_id: string;
  tokens: number;
  refilled_at: TimestampDefault;
  halved_until: NullableTimestamp;
}

export interface ConnectSessionsTable {
  id: string;
  token_hash: string;
  integration_id: string;
  end_user_id: string;
  end_user_email: string | null;
  connection_id: string | null;
  return_url: string | null;
  connection_config: JsonDefault<ConnectionConfig>;
  expires_at: Timestamp;
  used_at: NullableTimestamp;
  state_hash: string | null;
  code_verifier_enc: string | null;
  flow_expires_at: NullableTimestamp;
  revoked_refresh_token_fp: string | null;
  completed_at: NullableTimestamp;
  /** Refresh the new grant once right after the code exchange (migration 0007). */
  verify: Generated<boolean>;
  /** The external_id the connection this session creates will carry (migration 0011). */
  external_id: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: CreatedAt;
}

export interface RevocationsTable {
  id: string;
  integration_id: string | null;
  connection_id: string | null;
  token_enc: string | null;
  token_type_hint: Generated<string>;
  revoke_url: string | null;
  client_id: string | null;
  client_auth: string | null;
  client_secret_enc: string | null;
  status: Generated<'pending' | 'done' | 'failed'>;
  attempts: Generated<number>;
  next_attempt_at: NullableTimestamp;
  last_error: string | null;
  created_at: CreatedAt;
  finished_at: NullableTimestamp;
}

export interface IdempotencyKeysTable {
  id: string;
  scope: string;
  key: string;
  request_hash: string;
  status_code: number | null;
  response_enc: string | null;
  created_at: CreatedAt;
}

export interface ApiKeysTable {
  id: string;
  /** SHA-256 of the secret (hex); the secret itself is never stored. */
  digest: string;
  name: string;
  /** `generated`: the embedded mode's first key or `keys reset-api-key`; `api`: POST /v1/api-keys. */
  source: ColumnType<'generated' | 'api', 'generated' | 'api' | undefined, never>;
  scopes: JsonDefault<Scope[]>;
  /** Integration keys the key may see; null: all of them. */
  integrations: NullableJson<string[]>;
  expires_at: NullableTimestamp;
  last_used_at: NullableTimestamp;
  created_at: CreatedAt;
  revoked_at: NullableTimestamp;
}

export interface DashboardSessionRevocationsTable {
  /** SHA-256 of the session id (hex). */
  session_digest: string;
  expires_at: Timestamp;
  revoked_at: TimestampDefault;
}

export interface AuthFailuresTable {
  /** A client address as the limit counts it (an IPv6 address by its /64). */
  client: string;
  failures: number;
  window_started_at: Timestamp;
}

export interface RefreshStatsTable {
  integration_id: string;
  bucket: Timestamp;
  outcome: string;
  /** One of 16 rows per (integration, minute, outcome), so concurrent commits do not queue on one (migration 0009). */
  shard: Generated<number>;
  count: Generated<number>;
}

export interface SpikesTable {
  id: string;
  integration_id: string;
  org_id: string | null;
  started_at: Timestamp;
  last_seen_at: Timestamp;
  ended_at: NullableTimestamp;
  count: number;
  connection_ids: Json<string[]>;
  diagnosis_code: string | null;
}

/** Keyed fingerprints of refresh tokens a rotation or reconnect replaced (migrations/0004). */
export interface RetiredGrantsTable {
  fingerprint: string;
  connection_id: string;
  reason: 'rotated' | 'replaced';
  retired_at: TimestampDefault;
}

export interface AuditEventsTable {
  id: string;
  at: TimestampDefault;
  actor_type: ActorType;
  actor_id: string | null;
  actor_name: string | null;
  action: AuditAction;
  target_type: AuditTargetType | null;
  target_id: string | null;
  ip: string | null;
  count: Generated<number>;
  detail: NullableJson<AuditDetail>;
}

export interface Database {
  integrations: IntegrationsTable;
  connections: ConnectionsTable;
  events: EventsTable;
  outbox: OutboxTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  grant_ledger: GrantLedgerTable;
  rate_buckets: RateBucketsTable;
  connect_sessions: ConnectSessionsTable;
  revocations: RevocationsTable;
  idempotency_keys: IdempotencyKeysTable;
  api_keys: ApiKeysTable;
  dashboard_session_revocations: DashboardSessionRevocationsTable;
  auth_failures: AuthFailuresTable;
  refresh_stats: RefreshStatsTable;
  spikes: SpikesTable;
  retired_grants: RetiredGrantsTable;
  audit_events: AuditEventsTable;
}
