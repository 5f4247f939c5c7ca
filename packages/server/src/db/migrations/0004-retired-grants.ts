// Refresh tokens this server held and let go of: keyed fingerprints (never the token) of
// every token a rotation or a reconnect replaced, so an import of one is refused — presenting
// a rotated-out token makes a rotating provider revoke the live token family. Rows go with
// their connection, or after GRANTKEEPER_RETIRED_GRANT_RETENTION_DAYS (docs/operations.md).
// Also: an index for the unused connect session a reconnect link reuses.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE retired_grants (
      fingerprint    text PRIMARY KEY,
      connection_id  uuid NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
      reason         text NOT NULL CHECK (reason IN ('rotated', 'replaced')),
      retired_at     timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX retired_grants_retired_at ON retired_grants (retired_at)`.execute(db);
  await sql`CREATE INDEX retired_grants_connection ON retired_grants (connection_id)`.execute(db);
  await sql`
    CREATE INDEX connect_sessions_unused_by_connection ON connect_sessions (connection_id, created_at DESC)
    WHERE used_at IS NULL AND connection_id IS NOT NULL`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX IF EXISTS connect_sessions_unused_by_connection`.execute(db);
  await sql`DROP TABLE IF EXISTS retired_grants`.execute(db);
}
