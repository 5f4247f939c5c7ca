// Kysely's view of the schema (migrations/0001-initial.ts is the source of truth).
import type { ColumnType, Generated } from 'kysely';
import type { ActorType } from '../domain/access.js';
import type { AuditAction, AuditDetail, AuditTargetType } from '../domain/audit.js';
import type { Diagnosis } from '../domain/diagnosis.js';
import type { ConnectionConfig, ConnectionStatus, CustomProviderConfig, IntegrationStatus, LastError, RefreshSettings } from '../domain/grants.js';

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
  scopes: Json<string[]>;
  auth_base_url: string | null;
  provider_config: Json<CustomProviderConfig>;
  refresh: Json<RefreshSettings>;
  status: Generated<IntegrationStatus>;
  last_error: NullableJson<LastError>;
  generation: Generated<number>;
  created_at: CreatedAt;
  updated_at: TimestampDefault;
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
  created_at: CreatedAt;
  updated_at: TimestampDefault;
}

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
  created_at: CreatedAt;
  updated_at: TimestampDefault;
}

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
  digest: string;
  label: string;
  created_at: CreatedAt;
  revoked_at: NullableTimestamp;
}

export interface RefreshStatsTable {
  integration_id: string;
  bucket: Timestamp;
  outcome: string;
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
  refresh_stats: RefreshStatsTable;
  spikes: SpikesTable;
  audit_events: AuditEventsTable;
}
