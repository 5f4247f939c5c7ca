// webhook_deliveries: one row per (event, endpoint). Claims are short committed statements;
// no transaction is ever held across the HTTP call.
import { sql } from 'kysely';
import type { Cursor } from '../pagination.js';
import type { WebhookFormat } from '../schema.js';
import type { Executor } from '../types.js';

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** A claimed delivery with what sending it needs. */
export interface ClaimedDelivery {
  id: string;
  outbox_id: string;
  endpoint_id: string;
  attempts: number;
  created_at: Date;
  type: string;
  payload: Record<string, unknown>;
  event_created_at: Date;
  url: string;
  secret_enc: string;
  previous_secret_enc: string | null;
  previous_secret_expires_at: Date | null;
  format: WebhookFormat;
}

/**
 * Claims due deliveries of enabled endpoints by pushing next_attempt_at `claimMs` ahead
 * and marking them with `claimedBy` (unique per claim: instance id and a counter):
 * committed before any HTTP call, so no other instance takes them while they are sent,
 * and a crashed sender's claim simply runs out (at-least-once).
 */
export async function claimDueDeliveries(db: Executor, limit: number, claimMs: number, claimedBy: string): Promise<ClaimedDelivery[]> {
  const result = await sql<ClaimedDelivery>`
    WITH claimed AS (
      UPDATE webhook_deliveries
      SET next_attempt_at = now() + ${claimMs} * interval '1 millisecond', claimed_by = ${claimedBy}
      WHERE id IN (
        SELECT d.id FROM webhook_deliveries d
        JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.enabled
        WHERE d.status = 'pending' AND d.next_attempt_at <= now()
        ORDER BY d.next_attempt_at
        LIMIT ${limit}
        FOR UPDATE OF d SKIP LOCKED
      )
      RETURNING id, outbox_id, endpoint_id, attempts, created_at
    )
    SELECT c.id, c.outbox_id, c.endpoint_id, c.attempts, c.created_at,
           o.type, o.payload, o.created_at AS event_created_at,
           e.url, e.secret_enc, e.previous_secret_enc, e.previous_secret_expires_at, e.format
    FROM claimed c
    JOIN outbox o ON o.id = c.outbox_id
    JOIN webhook_endpoints e ON e.id = c.endpoint_id`.execute(db);
  return result.rows;
}

export interface AttemptRecord {
  id: string;
  /** The claim this attempt was made under (see claimDueDeliveries). */
  claimedBy: string;
  status: DeliveryStatus;
  /** null: no further attempt (delivered, failed). */
  retryInMs: number | null;
  responseStatus: number | null;
  responseBody: string | null;
  error: string | null;
}

/**
 * Stores the outcomes of several attempts in one statement (one commit for a batch of
 * answers) — only while the attempt's own claim still holds, so a late answer cannot
 * overwrite what a later claim (of any instance, this one too) or a manual retry did since.
 * Returns the ids written.
 */
export async function recordAttempts(db: Executor, records: AttemptRecord[]): Promise<string[]> {
  if (records.length === 0) return [];
  const rows = JSON.stringify(
    records.map((r) => ({ id: r.id, claimed_by: r.claimedBy, status: r.status, retry_ms: r.retryInMs, response_status: r.responseStatus, response_body: r.responseBody, error: r.error })),
  );
  const result = await sql<{ id: string }>`
    UPDATE webhook_deliveries d SET
      status = v.status,
      attempts = d.attempts + 1,
      last_attempt_at = now(),
      last_response_status = v.response_status,
      last_response_body = v.response_body,
      last_error = v.error,
      claimed_by = NULL,
      next_attempt_at = CASE WHEN v.retry_ms IS NULL THEN NULL ELSE now() + v.retry_ms * interval '1 millisecond' END,
      delivered_at = CASE WHEN v.status = 'delivered' THEN now() ELSE NULL END
    FROM jsonb_to_recordset(${rows}::jsonb) AS v(id uuid, claimed_by text, status text, retry_ms bigint, response_status integer, response_body text, error text)
    WHERE d.id = v.id AND d.claimed_by = v.claimed_by AND d.status = 'pending'
    RETURNING d.id`.execute(db);
  return result.rows.map((r) => r.id);
}

/** Due now again — also a failed or delivered one (an operator's resend). */
export async function requeueDelivery(db: Executor, id: string): Promise<boolean> {
  const result = await db
    .updateTable('webhook_deliveries')
    .set({ status: 'pending', next_attempt_at: sql`now()`, claimed_by: null, delivered_at: null })
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export interface DeliveryView {
  id: string;
  outbox_id: string;
  endpoint_id: string;
  type: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: Date | null;
  last_attempt_at: Date | null;
  last_response_status: number | null;
  last_response_body: string | null;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
}

function selectViews(db: Executor) {
  return db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('outbox as o', 'o.id', 'd.outbox_id')
    .select([
      'd.id', 'd.outbox_id', 'd.endpoint_id', 'o.type', 'd.status', 'd.attempts', 'd.next_attempt_at', 'd.last_attempt_at',
      'd.last_response_status', 'd.last_response_body', 'd.last_error', 'd.created_at', 'd.delivered_at',
    ]);
}

export async function findDelivery(db: Executor, id: string): Promise<DeliveryView | undefined> {
  return (await selectViews(db).where('d.id', '=', id).executeTakeFirst()) as DeliveryView | undefined;
}

/** Newest first, keyset-paginated; fetches limit + 1 rows. */
export async function listDeliveries(
  db: Executor,
  filter: { status?: DeliveryStatus; endpointId?: string },
  limit: number,
  cursor: Cursor | null,
): Promise<DeliveryView[]> {
  let query = selectViews(db).orderBy('d.created_at', 'desc').orderBy('d.id', 'desc').limit(limit + 1);
  if (filter.status) query = query.where('d.status', '=', filter.status);
  if (filter.endpointId) query = query.where('d.endpoint_id', '=', filter.endpointId);
  if (cursor) query = query.where(sql<boolean>`(d.created_at, d.id) < (${cursor.createdAt}, ${cursor.id})`);
  return (await query.execute()) as DeliveryView[];
}

/** Seconds since the oldest event still waiting for an enabled endpoint (or for fan-out); 0 when none. */
export async function oldestUndeliveredAgeS(db: Executor): Promise<number> {
  const result = await sql<{ age: number | null }>`
    SELECT EXTRACT(EPOCH FROM now() - LEAST(
      (SELECT min(o.created_at) FROM webhook_deliveries d
         JOIN outbox o ON o.id = d.outbox_id
         JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.enabled
       WHERE d.status = 'pending'),
      (SELECT min(created_at) FROM outbox WHERE fanned_out_at IS NULL)
    ))::float8 AS age`.execute(db);
  return Math.max(0, Number(result.rows[0]?.age ?? 0));
}
