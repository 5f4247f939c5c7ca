import { sql } from 'kysely';
import type { ConnectionRow, Executor } from '../types.js';
import { CONNECTION_CHANNEL } from '../notify.js';
import { refreshedGrantUpdate, type RefreshedGrant } from './commit-refresh.js';
import { STATS_SHARDS } from './refresh-stats.js';
import type { EventOutcome } from './intent.js';

export interface RefreshStore {
  connectionId: string;
  integrationId: string;
  readGeneration: number;
  grant: RefreshedGrant;
  eventId: string;
  /** The event's outcome when the grant is stored, and when a newer one was stored meanwhile. */
  stored: EventOutcome;
  superseded: EventOutcome;
  /** The rotated-out token's fingerprints (empty: nothing retired). */
  retiredFingerprints: string[];
  /** NOTIFY inside the commit (a caller waits on it); otherwise the caller announces it after. */
  notifyInside: boolean;
}

const eventColumns = (o: EventOutcome) => sql`
      outcome = ${o.outcome}, http_status = ${o.httpStatus}, error = ${o.error}, error_description = ${o.errorDescription},
      duration_ms = ${o.durationMs}, rotated = ${o.rotated}, detail = ${o.detail ? JSON.stringify(o.detail) : sql`detail`}`;

/**
 * A refresh's whole quiet commit in ONE statement (one round trip, its own transaction): the
 * compare-and-set on the grant, the event's outcome, the minute's count and the retired
 * token's fingerprints, and the NOTIFY when callers wait for it (`notifyInside`). Background
 * refreshes announce after the commit (refresh/change-notifier.ts): inside it, PostgreSQL's
 * notify lock would serialize every commit. For a commit that announces nothing (no
 * transition to emit); one that does takes `commitRefresh` inside a transaction instead.
 * Undefined when a newer grant was stored meanwhile (the event then says `superseded`).
 */
export async function storeRefresh(db: Executor, s: RefreshStore): Promise<(ConnectionRow & { previous_status: string }) | undefined> {
  const result = await sql<ConnectionRow & { previous_status: string; notified?: unknown }>`
    WITH written AS (${refreshedGrantUpdate(s.connectionId, s.readGeneration, s.grant)}),
    event AS (
      UPDATE events SET ${eventColumns(s.stored)} WHERE id = ${s.eventId} AND EXISTS (SELECT 1 FROM written)
    ),
    superseded AS (
      UPDATE events SET ${eventColumns(s.superseded)} WHERE id = ${s.eventId} AND NOT EXISTS (SELECT 1 FROM written)
    ),
    counted AS (
      INSERT INTO refresh_stats (integration_id, bucket, outcome, shard, count)
      VALUES (${s.integrationId}, date_trunc('minute', now()), 'success', floor(random() * ${STATS_SHARDS})::int2, 1)
      ON CONFLICT (integration_id, bucket, outcome, shard) DO UPDATE SET count = refresh_stats.count + 1
    ),
    retired AS (
      INSERT INTO retired_grants (fingerprint, connection_id, reason)
      SELECT f, ${s.connectionId}::uuid, 'rotated' FROM unnest(${s.retiredFingerprints}::text[]) AS f WHERE EXISTS (SELECT 1 FROM written)
      ON CONFLICT (fingerprint) DO NOTHING
    )
    SELECT written.*${s.notifyInside ? sql`, pg_notify(${CONNECTION_CHANNEL}, written.id || ':' || written.generation) AS notified` : sql``} FROM written`.execute(db);
  const row = result.rows[0];
  if (!row) return undefined;
  const { notified: _notified, ...stored } = row;
  return stored;
}
