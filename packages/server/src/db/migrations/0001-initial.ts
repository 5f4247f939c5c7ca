// The initial schema, shared by PGlite and PostgreSQL (kept valid on PostgreSQL 15).
// Every table the refresh engine, connect flow, scheduler and webhooks need exists from
// the start, so later work adds behaviour rather than reshaping storage.
import { sql, type Kysely } from 'kysely';

// Columns that keyset cursors page on (created_at, events.at) are stored at millisecond
// precision: cursors carry JavaScript Dates, and a microsecond tail would let rows that share
// a millisecond slip between two pages.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE integrations (
      id                 uuid PRIMARY KEY,
      key                text NOT NULL UNIQUE,
      provider           text NOT NULL,
      client_id          text NOT NULL,
      client_secret_enc  text,
      scopes             jsonb NOT NULL,
      auth_base_url      text,
      provider_config    jsonb NOT NULL DEFAULT '{}'::jsonb,
      refresh            jsonb NOT NULL,
      status             text NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'error')),
      last_error         jsonb,
      generation         bigint NOT NULL DEFAULT 1,
      created_at         timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
      updated_at         timestamptz NOT NULL DEFAULT now()
    )`.execute(db);

  await sql`
    CREATE TABLE connections (
      id                      uuid PRIMARY KEY,
      integration_id          uuid NOT NULL REFERENCES integrations(id),
      end_user_id             text NOT NULL,
      end_user_email          text,
      metadata                jsonb NOT NULL DEFAULT '{}'::jsonb,
      connection_config       jsonb NOT NULL DEFAULT '{}'::jsonb,
      status                  text NOT NULL DEFAULT 'active'
                                CHECK (status IN ('active', 'refresh_failing', 'needs_reauth')),
      scopes                  jsonb NOT NULL DEFAULT '[]'::jsonb,
      -- the provider account
      instance_url            text,
      org_id                  text,
      user_id                 text,
      id_url                  text,
      -- the grant (secrets encrypted; see crypto/envelope.ts)
      access_token_enc        text,
      refresh_token_enc       text,
      refresh_token_fp        text,
      access_token_expires_at timestamptz,
      generation              bigint NOT NULL DEFAULT 1,
      -- when the grant was authorized; NULL when unknown (an import without issued_at)
      authorized_at           timestamptz,
      last_refreshed_at       timestamptz,
      last_rotation_at        timestamptz,
      -- when the stored refresh token dies regardless of use (the provider's
      -- refresh_token_expires_in, or a known absolute lifetime); NULL when unknown
      refresh_token_expires_at timestamptz,
      -- failures
      consecutive_failures    integer NOT NULL DEFAULT 0,
      last_error              jsonb,
      diagnosis               jsonb,
      backoff_until           timestamptz,
      reprobe_attempts        integer NOT NULL DEFAULT 0,
      -- the refresh lease (database time only)
      lease_owner             text,
      lease_expires_at        timestamptz,
      -- the intent of the refresh in flight (its event); NULL once its outcome is stored
      refresh_intent_id       uuid,
      -- evidence: a refresh whose outcome we never learned (a rotated token may be lost)
      outcome_unknown_at      timestamptz,
      -- evidence: this connection's last refresh was refused for the integration's credentials
      integration_error_at    timestamptz,
      -- scheduling: NULL = nothing due (dead grants nobody re-probes cost nothing per tick)
      next_refresh_at         timestamptz,
      claimed_by              text,
      -- webhooks: per-connection event sequence
      event_sequence          bigint NOT NULL DEFAULT 0,
      return_url              text,
      created_at              timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
      updated_at              timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX connections_integration_created ON connections (integration_id, created_at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX connections_created ON connections (created_at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX connections_status ON connections (status, created_at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX connections_end_user ON connections (end_user_id)`.execute(db);
  // Dashboard counts by status per integration: an index-only scan, not a table scan.
  await sql`CREATE INDEX connections_integration_status ON connections (integration_id, status)`.execute(db);
  await sql`CREATE INDEX connections_org ON connections (org_id) WHERE org_id IS NOT NULL`.execute(db);
  await sql`CREATE UNIQUE INDEX connections_refresh_token_fp ON connections (refresh_token_fp) WHERE refresh_token_fp IS NOT NULL`.execute(db);
  await sql`CREATE INDEX connections_due ON connections (next_refresh_at) WHERE next_refresh_at IS NOT NULL`.execute(db);

  await sql`
    CREATE TABLE events (
      id                 uuid PRIMARY KEY,
      connection_id      uuid REFERENCES connections(id) ON DELETE CASCADE,
      integration_id     uuid REFERENCES integrations(id) ON DELETE CASCADE,
      at                 timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
      type               text NOT NULL,
      trigger            text,
      outcome            text,
      http_status        integer,
      error              text,
      error_description  text,
      duration_ms        integer,
      rotated            boolean NOT NULL DEFAULT false,
      instance_id        text,
      detail             jsonb NOT NULL DEFAULT '{}'::jsonb
    )`.execute(db);
  await sql`CREATE INDEX events_connection_at ON events (connection_id, at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX events_at ON events (at)`.execute(db);
  // Spike detection: recent permanent failures, and an integration's operations in the window.
  await sql`CREATE INDEX events_permanent ON events (at) WHERE outcome = 'permanent_error'`.execute(db);
  await sql`CREATE INDEX events_integration_at ON events (integration_id, at)`.execute(db);

  // Webhook outbox: written in the same transaction as the state change it announces.
  await sql`
    CREATE TABLE outbox (
      id              uuid PRIMARY KEY,
      type            text NOT NULL,
      connection_id   uuid,
      integration_id  uuid,
      payload         jsonb NOT NULL,
      created_at      timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
      fanned_out_at   timestamptz
    )`.execute(db);
  await sql`CREATE INDEX outbox_pending ON outbox (created_at) WHERE fanned_out_at IS NULL`.execute(db);

  await sql`
    CREATE TABLE webhook_endpoints (
      id                          uuid PRIMARY KEY,
      url                         text NOT NULL,
      events                      jsonb,
      enabled                     boolean NOT NULL DEFAULT true,
      disabled_reason             text,
      secret_enc                  text NOT NULL,
      previous_secret_enc         text,
      previous_secret_expires_at  timestamptz,
      created_at                  timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
      updated_at                  timestamptz NOT NULL DEFAULT now()
    )`.execute(db);

  await sql`
    CREATE TABLE webhook_deliveries (
      id                    uuid PRIMARY KEY,
      outbox_id             uuid NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,
      endpoint_id           uuid NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
      status                text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
      attempts              integer NOT NULL DEFAULT 0,
      next_attempt_at       timestamptz,
      claimed_by            text,
      last_attempt_at       timestamptz,
      last_response_status  integer,
      last_response_body    text,
      last_error            text,
      created_at            timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
      delivered_at          timestamptz,
      UNIQUE (outbox_id, endpoint_id)
    )`.execute(db);
  await sql`CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'`.execute(db);
  await sql`CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at DESC, id DESC)`.execute(db);

  // Every grant Grantkeeper obtains, under the provider user it belongs to (the 5-per-user guard).
  await sql`
    CREATE TABLE grant_ledger (
      id              uuid PRIMARY KEY,
      provider        text NOT NULL,
      client_id       text NOT NULL,
      org_id          text NOT NULL,
      user_id         text NOT NULL,
      connection_id   uuid,
      issued_at       timestamptz NOT NULL,
      live            boolean NOT NULL DEFAULT true,
      ended_at        timestamptz,
      ended_reason    text
    )`.execute(db);
  await sql`CREATE INDEX grant_ledger_user ON grant_ledger (provider, client_id, org_id, user_id, issued_at) WHERE live`.execute(db);
  await sql`CREATE INDEX grant_ledger_connection ON grant_ledger (connection_id)`.execute(db);

  // One token bucket per integration, shared by every instance.
  await sql`
    CREATE TABLE rate_buckets (
      integration_id  uuid PRIMARY KEY REFERENCES integrations(id) ON DELETE CASCADE,
      tokens          double precision NOT NULL,
      refilled_at     timestamptz NOT NULL DEFAULT now(),
      halved_until    timestamptz
    )`.execute(db);

  await sql`
    CREATE TABLE connect_sessions (
      id                  uuid PRIMARY KEY,
      token_hash          text NOT NULL UNIQUE,
      integration_id      uuid NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
      end_user_id         text NOT NULL,
      end_user_email      text,
      connection_id       uuid,
      return_url          text,
      connection_config   jsonb NOT NULL DEFAULT '{}'::jsonb,
      expires_at          timestamptz NOT NULL,
      used_at             timestamptz,
      state_hash          text UNIQUE,
      code_verifier_enc   text,
      flow_expires_at     timestamptz,
      -- the replaced grant's fingerprint when a dead connection's token was revoked at the start
      revoked_refresh_token_fp text,
      completed_at        timestamptz,
      created_at          timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
    )`.execute(db);

  // A deleted connection's refresh token, kept encrypted until the provider confirms revocation.
  await sql`
    CREATE TABLE revocations (
      id               uuid PRIMARY KEY,
      integration_id   uuid REFERENCES integrations(id) ON DELETE SET NULL,
      connection_id    uuid,
      token_enc        text,
      token_type_hint  text NOT NULL DEFAULT 'refresh_token',
      -- where and as whom to revoke, kept with the token: the integration may be deleted first
      revoke_url       text,
      client_id        text,
      client_auth      text,
      client_secret_enc text,
      status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
      attempts         integer NOT NULL DEFAULT 0,
      next_attempt_at  timestamptz,
      last_error       text,
      created_at       timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
      finished_at      timestamptz
    )`.execute(db);
  await sql`CREATE INDEX revocations_due ON revocations (next_attempt_at) WHERE status = 'pending'`.execute(db);

  // Stored responses of POSTs with an Idempotency-Key (bodies encrypted: some carry secrets shown once).
  await sql`
    CREATE TABLE idempotency_keys (
      id                uuid PRIMARY KEY,
      scope             text NOT NULL,
      key               text NOT NULL,
      request_hash      text NOT NULL,
      status_code       integer,
      response_enc      text,
      created_at        timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
      UNIQUE (scope, key)
    )`.execute(db);

  // API keys generated by Grantkeeper itself (embedded mode); environment keys are never stored.
  await sql`
    CREATE TABLE api_keys (
      id          uuid PRIMARY KEY,
      digest      text NOT NULL UNIQUE,
      label       text NOT NULL,
      created_at  timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
      revoked_at  timestamptz
    )`.execute(db);

  // Refresh outcomes per minute, kept as refreshes happen (the dashboard never scans events).
  await sql`
    CREATE TABLE refresh_stats (
      integration_id  uuid NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
      bucket          timestamptz NOT NULL,
      outcome         text NOT NULL,
      count           integer NOT NULL DEFAULT 0,
      PRIMARY KEY (integration_id, bucket, outcome)
    )`.execute(db);
  // The all-integrations chart reads a time range across integrations.
  await sql`CREATE INDEX refresh_stats_bucket ON refresh_stats (bucket)`.execute(db);

  await sql`
    CREATE TABLE spikes (
      id              uuid PRIMARY KEY,
      integration_id  uuid NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
      org_id          text,
      started_at      timestamptz NOT NULL,
      last_seen_at    timestamptz NOT NULL,
      ended_at        timestamptz,
      count           integer NOT NULL,
      connection_ids  jsonb NOT NULL,
      diagnosis_code  text
    )`.execute(db);
  // At most one active spike per (integration, org): two instances seeing it insert once.
  await sql`CREATE UNIQUE INDEX spikes_active ON spikes (integration_id, (coalesce(org_id, ''))) WHERE ended_at IS NULL`.execute(db);
  await sql`CREATE INDEX spikes_started ON spikes (started_at DESC, id DESC)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'spikes', 'refresh_stats', 'api_keys', 'idempotency_keys', 'revocations', 'connect_sessions',
    'rate_buckets', 'grant_ledger', 'webhook_deliveries', 'webhook_endpoints', 'outbox', 'events',
    'connections', 'integrations',
  ]) {
    await sql`DROP TABLE IF EXISTS ${sql.table(table)}`.execute(db);
  }
}
