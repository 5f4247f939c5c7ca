import { sql } from 'kysely';
import type { Executor } from '../types.js';

/**
 * A test event for one endpoint: an outbox row born fanned out (no other endpoint gets it)
 * and its one delivery, already claimed by the caller, who sends it right away.
 */
export async function insertPing(
  db: Executor,
  ping: { outboxId: string; deliveryId: string; endpointId: string; payload: string; claimMs: number; claimedBy: string },
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('outbox')
      .values({ id: ping.outboxId, type: 'ping', connection_id: null, integration_id: null, payload: ping.payload, fanned_out_at: sql`now()` })
      .execute();
    await trx
      .insertInto('webhook_deliveries')
      .values({
        id: ping.deliveryId,
        outbox_id: ping.outboxId,
        endpoint_id: ping.endpointId,
        next_attempt_at: sql`now() + ${ping.claimMs} * interval '1 millisecond'`,
        claimed_by: ping.claimedBy,
        created_at: sql<Date>`date_trunc('milliseconds', now())`,
      })
      .execute();
  });
}
