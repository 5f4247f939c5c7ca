// Leaving Nango (issue 19). A connection may carry the id another system knows it by (Nango's
// connectionId after an import), unique within its integration, so an app keeps addressing
// its connections by the ids it already stores. A connect session may name the id the
// connection it creates will carry.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE connections ADD COLUMN external_id text`.execute(db);
  // Unique per integration; also the index of `?external_id=` and of the /nango lookups.
  await sql`CREATE UNIQUE INDEX connections_external_id ON connections (integration_id, external_id) WHERE external_id IS NOT NULL`.execute(db);
  // The filter without an integration (`GET /v1/connections?external_id=`).
  await sql`CREATE INDEX connections_external_id_any ON connections (external_id) WHERE external_id IS NOT NULL`.execute(db);
  await sql`ALTER TABLE connect_sessions ADD COLUMN external_id text`.execute(db);
  // What a webhook endpoint receives: Grantkeeper's events (Standard Webhooks) or Nango's
  // auth webhook bodies and signature, for a product's existing Nango webhook handler.
  await sql`ALTER TABLE webhook_endpoints ADD COLUMN format text NOT NULL DEFAULT 'standard' CHECK (format IN ('standard', 'nango'))`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE webhook_endpoints DROP COLUMN IF EXISTS format`.execute(db);
  await sql`ALTER TABLE connect_sessions DROP COLUMN IF EXISTS external_id`.execute(db);
  await sql`DROP INDEX IF EXISTS connections_external_id_any`.execute(db);
  await sql`DROP INDEX IF EXISTS connections_external_id`.execute(db);
  await sql`ALTER TABLE connections DROP COLUMN IF EXISTS external_id`.execute(db);
}
