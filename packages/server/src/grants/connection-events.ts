// The one way to announce a change of a connection: the connection's next sequence number,
// its API view at that sequence, and the outbox row, all inside the caller's transaction
// (an event exists if and only if the change it announces committed).
import { nextEventSequence } from '../db/connections/next-event-sequence.js';
import type { ConnectionRow, Executor, IntegrationRow } from '../db/types.js';
import { connectionToApi } from '../model/connection-view.js';
import { emitEvent, type WebhookEventType } from '../webhooks/outbox.js';

export type ConnectionEventType = Extract<WebhookEventType, `connection.${string}`>;

export interface ConnectionEventOptions {
  /** Members of `data` besides `connection` and `sequence` (diagnosis, last_error, …). */
  data?: Record<string, unknown>;
  /**
   * The row no longer exists (`connection.deleted`): the sequence was taken before the
   * delete, and the event is not linked to the row.
   */
  deleted?: { sequence: number };
}

export async function emitConnectionEvent(
  trx: Executor,
  type: ConnectionEventType,
  row: ConnectionRow,
  integration: Pick<IntegrationRow, 'id' | 'key' | 'status' | 'grant_type'>,
  options: ConnectionEventOptions = {},
): Promise<string> {
  const sequence = options.deleted?.sequence ?? (await nextEventSequence(trx, row.id));
  const connection = connectionToApi({ ...row, event_sequence: sequence }, integration);
  return emitEvent(trx, {
    type,
    connectionId: options.deleted ? null : row.id,
    integrationId: integration.id,
    data: { connection, ...options.data, sequence },
  });
}
