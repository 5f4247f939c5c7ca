import { sql } from 'kysely';
import type { Executor } from '../types.js';

/**
 * Turns up to `limit` new outbox rows into one pending delivery per enabled endpoint whose
 * filter matches (NULL = every type), and marks them fanned out — one statement, so a row
 * is either fully fanned out or untouched. SKIP LOCKED lets instances share the work; the
 * unique (outbox_id, endpoint_id) makes a repeat harmless. Returns how many rows it took.
 * created_at is cut to milliseconds: list cursors carry a JS Date, and a whole fan-out shares
 * one now() — at microsecond precision a page boundary inside it would skip rows.
 */
export async function fanOutOutbox(db: Executor, limit: number): Promise<number> {
  const result = await sql<{ id: string }>`
    WITH batch AS (
      SELECT id, type FROM outbox
      WHERE fanned_out_at IS NULL
      ORDER BY created_at
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    ), deliveries AS (
      INSERT INTO webhook_deliveries (id, outbox_id, endpoint_id, next_attempt_at, created_at)
      SELECT gen_random_uuid(), batch.id, e.id, now(), date_trunc('milliseconds', now())
      FROM batch JOIN webhook_endpoints e ON e.enabled AND (e.events IS NULL OR e.events ? batch.type)
      ON CONFLICT (outbox_id, endpoint_id) DO NOTHING
    )
    UPDATE outbox SET fanned_out_at = now() WHERE id IN (SELECT id FROM batch) RETURNING id`.execute(db);
  return result.rows.length;
}
