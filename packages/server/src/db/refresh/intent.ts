import { sql } from 'kysely';
import type { Executor } from '../types.js';

/**
 * Writes the intent (`in_flight` event) before the provider call and links it from the
 * connection, so a crash between the provider's answer and our commit leaves evidence. One
 * statement (both writes commit together, in one round trip).
 */
export async function writeIntent(
  db: Executor,
  intent: { eventId: string; connectionId: string; integrationId: string; trigger: string; instanceId: string },
): Promise<void> {
  await sql`
    WITH intent AS (
      INSERT INTO events (id, connection_id, integration_id, type, trigger, outcome, instance_id)
      VALUES (${intent.eventId}, ${intent.connectionId}, ${intent.integrationId}, 'refresh', ${intent.trigger}, 'in_flight', ${intent.instanceId})
      RETURNING id
    )
    UPDATE connections SET refresh_intent_id = intent.id FROM intent WHERE connections.id = ${intent.connectionId}`.execute(db);
}

/**
 * A lease taken over from a holder that never resolved its intent: its outcome is unknown
 * (with rotation, the provider may have rotated the token and we never stored it).
 */
export async function resolveOrphanedIntent(db: Executor, connectionId: string, eventId: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('events')
      .set({ outcome: 'unknown', detail: JSON.stringify({ reason: 'holder vanished before storing the outcome' }) })
      .where('id', '=', eventId)
      .where('outcome', '=', 'in_flight')
      .execute();
    await trx
      .updateTable('connections')
      .set({ refresh_intent_id: null, outcome_unknown_at: sql`now()` })
      .where('id', '=', connectionId)
      .where('refresh_intent_id', '=', eventId)
      .execute();
  });
}

export interface EventOutcome {
  outcome: 'success' | 'transient_error' | 'permanent_error' | 'unknown';
  httpStatus: number | null;
  error: string | null;
  errorDescription: string | null;
  durationMs: number;
  rotated: boolean;
  detail?: Record<string, unknown>;
}

export async function completeEvent(db: Executor, eventId: string, o: EventOutcome): Promise<void> {
  await db
    .updateTable('events')
    .set({
      outcome: o.outcome,
      http_status: o.httpStatus,
      error: o.error,
      error_description: o.errorDescription,
      duration_ms: o.durationMs,
      rotated: o.rotated,
      ...(o.detail ? { detail: JSON.stringify(o.detail) } : {}),
    })
    .where('id', '=', eventId)
    .execute();
}
