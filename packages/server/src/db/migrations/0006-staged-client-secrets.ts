// Staged client secrets (docs: "Staged client secrets"): after `client_secret` changes, the
// previous secret is kept, encrypted in its own column, until `previous_client_secret_expires_at`
// (the change time plus the integration's `client_secret_overlap_s`). A token call refused with
// invalid_client is retried once with the other secret, and the one that works becomes current.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE integrations
      ADD COLUMN previous_client_secret_enc        text,
      ADD COLUMN previous_client_secret_expires_at timestamptz,
      ADD COLUMN client_secret_overlap_s           integer NOT NULL DEFAULT 86400
        CHECK (client_secret_overlap_s >= 0)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE integrations
      DROP COLUMN previous_client_secret_enc,
      DROP COLUMN previous_client_secret_expires_at,
      DROP COLUMN client_secret_overlap_s`.execute(db);
}
