// The webhooks Grantkeeper sends, as OpenAPI 3.1 `webhooks`: one entry per event type with
// the body a receiver gets and the Standard Webhooks headers that sign it. Keyed by the
// event types themselves, so a new type cannot be added without its documentation.
import { Type, type TObject, type TProperties } from 'typebox';
import type { WebhookEventType } from '../webhooks/outbox.js';
import { ConnectionSchema, DiagnosisSchema, IntegrationSchema, LastErrorSchema, Nullable, Timestamp } from './schemas.js';

interface WebhookDoc {
  summary: string;
  /** Members of `data`. */
  data: TProperties;
}

/** What every connection event carries besides its own members: the status, generation and sequence a receiver orders by. */
const CONNECTION_DATA = {
  connection: ConnectionSchema,
  status: Type.String({ description: "The connection's status after this change (also in connection.status)." }),
  generation: Type.Integer({ description: "The stored grant's generation after this change." }),
  sequence: Type.Integer({ description: 'Per-connection event number: a receiver applies only events newer than the last it saw.' }),
};

const DOCS: Record<WebhookEventType, WebhookDoc> = {
  'connection.created': { summary: 'A connect flow or an import created a connection', data: CONNECTION_DATA },
  'connection.reconnected': { summary: 'A re-authentication or an in-place connect replaced the grant', data: CONNECTION_DATA },
  'connection.refresh_failing': {
    summary: 'active → refresh_failing: transient trouble, retried with backoff',
    data: { ...CONNECTION_DATA, last_error: LastErrorSchema },
  },
  'connection.reauth_required': {
    summary: '→ needs_reauth: the grant is unusable; diagnosis.who_fixes says who acts',
    data: { ...CONNECTION_DATA, diagnosis: DiagnosisSchema, reconnect_url: Type.String({ description: 'A signed, long-lived link that re-authenticates this connection in place.' }) },
  },
  'connection.recovered': { summary: 'refresh_failing or needs_reauth → active, by a refresh', data: CONNECTION_DATA },
  'connection.diagnosis_changed': {
    summary: "A dead grant's diagnosis code or who_fixes changed (e.g. a spike showed the org admin revoked the app)",
    data: { ...CONNECTION_DATA, diagnosis: DiagnosisSchema, previous_diagnosis_code: Type.Optional(Nullable(Type.String())) },
  },
  'connection.grant_limit_warning': {
    summary: "A new authorization will make the provider evict this connection's grant",
    data: {
      ...CONNECTION_DATA,
      newer_connection_id: Nullable(Type.String({ description: 'The connection whose authorization pushes this grant out.' })),
      limit: Type.Integer({ description: "The provider's live-grant limit per user per app." }),
    },
  },
  'connection.deleted': { summary: 'The connection was deleted (data.connection is its last state)', data: CONNECTION_DATA },
  'integration.error': {
    summary: "ok → error: the provider rejects the integration's credentials or configuration",
    data: { integration: IntegrationSchema, last_error: LastErrorSchema, affected_connection_count: Type.Integer() },
  },
  'integration.recovered': { summary: 'error → ok', data: { integration: IntegrationSchema } },
  'integration.failure_spike': {
    summary: 'Many connections failed within a short window (one event per spike; org_id set when one org accounts for it)',
    data: {
      integration: IntegrationSchema,
      org_id: Nullable(Type.String()),
      count: Type.Integer(),
      window_s: Type.Integer(),
      connection_ids: Type.Array(Type.String(), { maxItems: 1000 }),
      diagnosis: DiagnosisSchema,
      spike_id: Type.String(),
    },
  },
};

const PING: WebhookDoc = { summary: 'A test delivery (POST /v1/webhook-endpoints/{id}/ping); never retried', data: { endpoint: Type.String({ description: 'The endpoint id.' }) } };

const HEADERS = [
  { name: 'webhook-id', description: 'The event id (evt_…): the same for every endpoint and every retry. Deduplicate on it.' },
  { name: 'webhook-timestamp', description: 'Unix seconds of this attempt (signed anew at each attempt); reject old ones.' },
  { name: 'webhook-signature', description: 'Space-separated v1,<base64 HMAC-SHA256> signatures of `id.timestamp.body` with the endpoint secret (two during a secret rotation).' },
].map((h) => ({ in: 'header' as const, required: true, schema: { type: 'string' as const }, ...h }));

function body(type: string, data: TProperties): TObject {
  return Type.Object({ type: Type.Literal(type), timestamp: Timestamp, data: Type.Object(data) });
}

function operation(type: string, doc: WebhookDoc) {
  return {
    post: {
      tags: ['webhooks'],
      operationId: `webhook_${type.replace(/\W/g, '_')}`,
      summary: doc.summary,
      description:
        'Sent to every enabled endpoint subscribed to this type, signed per Standard Webhooks, at least once from a durable outbox. Redirects are not followed.',
      // Not called with an API key: the receiver checks the signature headers instead.
      security: [],
      parameters: HEADERS,
      requestBody: { required: true, content: { 'application/json': { schema: body(type, doc.data) } } },
      responses: {
        '2XX': { description: 'Received. Any 2xx acknowledges the delivery.' },
        '410': { description: 'Gone: the endpoint is disabled and receives nothing more.' },
        default: { description: 'Anything else (or no answer) is retried with exponential backoff and jitter for about a day.' },
      },
    },
  };
}

/** The OpenAPI `webhooks` object: every event type, then the test ping. */
export function openApiWebhooks(): Record<string, ReturnType<typeof operation>> {
  const entries = Object.entries(DOCS).map(([type, doc]) => [type, operation(type, doc)] as const);
  return Object.fromEntries([...entries, ['ping', operation('ping', PING)]]);
}
