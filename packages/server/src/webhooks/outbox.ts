// Webhook events are written to the outbox in the same transaction as the state change
// they announce, so an event exists if and only if its transition committed.
import { insertOutbox } from '../db/outbox/insert-outbox.js';
import type { Executor } from '../db/types.js';
import { newRowId, toPublicId } from '../model/ids.js';

export type WebhookEventType =
  | 'connection.created'
  | 'connection.reconnected'
  | 'connection.refresh_failing'
  | 'connection.reauth_required'
  | 'connection.recovered'
  | 'connection.diagnosis_changed'
  | 'connection.grant_limit_warning'
  | 'connection.deleted'
  | 'integration.error'
  | 'integration.recovered'
  | 'integration.failure_spike';

export const WEBHOOK_EVENT_TYPES: readonly WebhookEventType[] = [
  'connection.created',
  'connection.reconnected',
  'connection.refresh_failing',
  'connection.reauth_required',
  'connection.recovered',
  'connection.diagnosis_changed',
  'connection.grant_limit_warning',
  'connection.deleted',
  'integration.error',
  'integration.recovered',
  'integration.failure_spike',
];

export interface OutboxEvent {
  type: WebhookEventType;
  connectionId?: string | null;
  integrationId?: string | null;
  /** The `data` member of the webhook body. */
  data: Record<string, unknown>;
}

/** Writes one event; returns its public id (`evt_…`, the `webhook-id` of every delivery). */
export async function emitEvent(db: Executor, event: OutboxEvent): Promise<string> {
  const id = newRowId();
  const timestamp = new Date().toISOString();
  await insertOutbox(db, {
    id,
    type: event.type,
    connection_id: event.connectionId ?? null,
    integration_id: event.integrationId ?? null,
    payload: JSON.stringify({ type: event.type, timestamp, data: event.data }),
  });
  return toPublicId('event', id);
}
