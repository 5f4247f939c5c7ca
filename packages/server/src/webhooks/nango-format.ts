// Nango's auth webhooks, for endpoints with `format: "nango"`: the body Nango sends for a new
// connection (`creation`), a re-authorized one (`override`) and a refresh that failed for good
// (`refresh`, `success: false`), and Nango's signature headers, so a product's Nango webhook
// handler keeps working. Shapes and signing as documented in Nango's "Receive webhooks from
// Nango" guide (nango.dev/docs/guides/platform/webhooks-from-nango: `X-Nango-Hmac-Sha256` is
// the hex HMAC-SHA256 of the raw body) and verified by `@nangohq/node`'s
// `verifyIncomingWebhookRequest`; the endpoint's secret is the signing key.
import { createHash, createHmac } from 'node:crypto';
import type { WebhookEventType } from './outbox.js';

/** The Grantkeeper events that have a Nango auth webhook, and its operation. */
const OPERATIONS: Partial<Record<WebhookEventType, { operation: 'creation' | 'override' | 'refresh'; success: boolean }>> = {
  'connection.created': { operation: 'creation', success: true },
  'connection.reconnected': { operation: 'override', success: true },
  'connection.reauth_required': { operation: 'refresh', success: false },
};

export const NANGO_EVENT_TYPES = Object.keys(OPERATIONS) as WebhookEventType[];

interface ConnectionData {
  id?: string;
  external_id?: string | null;
  integration?: string;
  end_user?: { id?: string; email?: string | null };
  diagnosis?: { code?: string; summary?: string } | null;
  last_error?: { error?: string | null; error_description?: string | null } | null;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The integration key a stored event's connection belongs to (to find its provider). */
export function integrationKeyOf(payload: Record<string, unknown>): string | null {
  const data = payload.data;
  const connection = isRecord(data) && isRecord(data.connection) ? (data.connection as ConnectionData) : null;
  return connection?.integration ?? null;
}

/** Nango's body for a stored Grantkeeper event, or null when Nango has no such webhook. */
export function nangoAuthBody(type: string, payload: Record<string, unknown>, provider: string): string | null {
  const mapped = OPERATIONS[type as WebhookEventType];
  const data = payload.data;
  if (!mapped || !isRecord(data) || !isRecord(data.connection)) return null;
  const connection = data.connection as ConnectionData;
  const diagnosis = (isRecord(data.diagnosis) ? data.diagnosis : connection.diagnosis) as ConnectionData['diagnosis'];
  const lastError = (isRecord(data.last_error) ? data.last_error : connection.last_error) as ConnectionData['last_error'];
  const body = {
    from: 'nango',
    type: 'auth',
    connectionId: connection.external_id ?? connection.id ?? '',
    authMode: 'OAUTH2',
    providerConfigKey: connection.integration ?? '',
    provider,
    environment: 'prod',
    operation: mapped.operation,
    success: mapped.success,
    endUser: { endUserId: connection.end_user?.id ?? '', endUserEmail: connection.end_user?.email ?? null, tags: {} },
    ...(mapped.success
      ? {}
      : {
          error: {
            type: diagnosis?.code ?? lastError?.error ?? 'refresh_failed',
            description: diagnosis?.summary ?? lastError?.error_description ?? 'The grant can no longer be refreshed; the end user must reconnect.',
          },
        }),
  };
  return JSON.stringify(body);
}

/** Nango's signature headers over the exact body: the HMAC, and the legacy digest older handlers check. */
export function nangoSignedHeaders(secret: string, body: string): Record<string, string> {
  return {
    'x-nango-hmac-sha256': createHmac('sha256', secret).update(body).digest('hex'),
    'x-nango-signature': createHash('sha256').update(`${secret}${body}`).digest('hex'),
  };
}
