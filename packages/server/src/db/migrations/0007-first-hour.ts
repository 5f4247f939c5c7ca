// The first hour (issue 17): what a connection's diagnosis needs to tell a fresh grant's
// causes apart, whether a connect session verifies the grant it obtains, and the index the
// connections list filters by diagnosis on, and the index of an integration's failed connect flows.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // How the stored grant came to be: our connect flow, or an import of a token obtained
  // elsewhere (NULL for rows stored before this migration: unknown). An imported token that
  // never worked is most likely one the provider does not know.
  await sql`ALTER TABLE connections ADD COLUMN grant_origin text CHECK (grant_origin IN ('connect', 'import'))`.execute(db);
  // Refresh the new grant once right after the code exchange (decided when the session is made).
  await sql`ALTER TABLE connect_sessions ADD COLUMN verify boolean NOT NULL DEFAULT false`.execute(db);
  await sql`
    CREATE INDEX connections_diagnosis_code ON connections ((diagnosis->>'code'), created_at DESC, id DESC)
      WHERE diagnosis IS NOT NULL`.execute(db);
  // An integration's own history (failed connect flows), without scanning its refreshes.
  await sql`CREATE INDEX events_connect_failed ON events (integration_id, at DESC, id DESC) WHERE type = 'connect_failed'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX IF EXISTS events_connect_failed`.execute(db);
  await sql`DROP INDEX IF EXISTS connections_diagnosis_code`.execute(db);
  await sql`ALTER TABLE connect_sessions DROP COLUMN IF EXISTS verify`.execute(db);
  await sql`ALTER TABLE connections DROP COLUMN IF EXISTS grant_origin`.execute(db);
}
