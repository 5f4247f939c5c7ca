// API keys as rows with scopes, an optional integration list and an expiry; dashboard
// logouts that outlive a restart; wrong-key counts per client address shared by instances.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // Rows so far were keys the embedded mode generated (first start, `keys reset-api-key`):
  // they become `source = 'generated'`, `admin`, as they were.
  await sql`ALTER TABLE api_keys RENAME COLUMN label TO name`.execute(db);
  await sql`
    ALTER TABLE api_keys
      ADD COLUMN source        text NOT NULL DEFAULT 'generated' CHECK (source IN ('generated', 'api')),
      ADD COLUMN scopes        jsonb NOT NULL DEFAULT '["admin"]'::jsonb,
      ADD COLUMN integrations  jsonb,
      ADD COLUMN expires_at    timestamptz,
      ADD COLUMN last_used_at  timestamptz`.execute(db);
  // Listing keys pages on (created_at, id), newest first.
  await sql`CREATE INDEX api_keys_active ON api_keys (created_at DESC, id DESC) WHERE revoked_at IS NULL`.execute(db);

  // A dashboard logout: the session id's digest, kept until the session would have expired.
  await sql`
    CREATE TABLE dashboard_session_revocations (
      session_digest  text PRIMARY KEY,
      expires_at      timestamptz NOT NULL,
      revoked_at      timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX dashboard_session_revocations_expiry ON dashboard_session_revocations (expires_at)`.execute(db);

  // Wrong keys per client address in the current window (one row per address).
  await sql`
    CREATE TABLE auth_failures (
      client             text PRIMARY KEY,
      failures           integer NOT NULL,
      window_started_at  timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX auth_failures_window ON auth_failures (window_started_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS auth_failures`.execute(db);
  await sql`DROP TABLE IF EXISTS dashboard_session_revocations`.execute(db);
  await sql`DROP INDEX IF EXISTS api_keys_active`.execute(db);
  await sql`
    ALTER TABLE api_keys
      DROP COLUMN source, DROP COLUMN scopes, DROP COLUMN integrations, DROP COLUMN expires_at, DROP COLUMN last_used_at`.execute(db);
  await sql`ALTER TABLE api_keys RENAME COLUMN name TO label`.execute(db);
}
