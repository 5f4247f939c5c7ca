// Webhook events are written to the outbox in the same transaction as the state change
// they announce, so an event exists if and only if its transition committed.
import { insertOutbox } from '../db/outbox/insert-outbox.js';
import { notifyOutbox } from '../db/webhooks/notify-outbox.js';
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

/**
 * Writes one event; returns its public id (`evt_…`, the `webhook-id` of every delivery).
 * A connection event's data gets the connection's `status` and `generation` at its top level
 * (docs/api.md); connection events come through grants/connection-events.ts, which numbers them.
 */
export async function emitEvent(db: Executor, event: OutboxEvent): Promise<string> {
  const id = newRowId();
  const timestamp = new Date().toISOString();
  const data = withConnectionFields(event.data);
  await insertOutbox(db, {
    id,
    type: event.type,
    connection_id: event.connectionId ?? null,
    integration_id: event.integrationId ?? null,
    payload: JSON.stringify({ type: event.type, timestamp, data }),
  });
  await notifyOutbox(db);
  return toPublicId('event', id);
}

/** Lifts `status` and `generation` out of `data.connection` (what the receiver orders and acts on). */
export function withConnectionFields(data: Record<string, unknown>): Record<string, unknown> {
  const connection = data.connection;
  if (connection === null || typeof connection !== 'object') return data;
  const { status, generation } = connection as { status?: unknown; generation?: unknown };
  return {
    ...(data.status === undefined && status !== undefined ? { status } : {}),
    ...(data.generation === undefined && generation !== undefined ? { generation } : {}),
    ...data,
  };
}
