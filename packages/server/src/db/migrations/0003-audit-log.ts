// The audit log (API "Audit log"): who did what, to what, when and from where. One row per
// change, written in the transaction of the change; frequent actions (token reads, proxy
// calls, wrong keys) as one row per actor, action, target, client address and minute with
// a count, so their rows have a deterministic id that concurrent flushes upsert into.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE audit_events (
      id           uuid PRIMARY KEY,
      -- millisecond precision: list cursors carry JavaScript Dates (see 0001)
      at           timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
      actor_type   text NOT NULL CHECK (actor_type IN ('api_key', 'dashboard', 'cli', 'system')),
      actor_id     text,
      actor_name   text,
      action       text NOT NULL,
      target_type  text,
      target_id    text,
      ip           text,
      count        integer NOT NULL DEFAULT 1 CHECK (count >= 1),
      -- field names a change touched, counts of a rotation: never a secret or a body
      detail       jsonb
    )`.execute(db);
  // Newest first, and the export, retention and time filters: a range of this index.
  await sql`CREATE INDEX audit_events_at ON audit_events (at DESC, id DESC)`.execute(db);
  // The filters of GET /v1/audit-events, each an index range in page order.
  await sql`CREATE INDEX audit_events_target ON audit_events (target_id, at DESC, id DESC) WHERE target_id IS NOT NULL`.execute(db);
  await sql`CREATE INDEX audit_events_actor ON audit_events (actor_id, at DESC, id DESC) WHERE actor_id IS NOT NULL`.execute(db);
  await sql`CREATE INDEX audit_events_action ON audit_events (action, at DESC, id DESC)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS audit_events`.execute(db);
}
