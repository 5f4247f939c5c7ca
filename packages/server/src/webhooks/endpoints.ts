// Webhook endpoints: validation, the secret (shown once, stored encrypted), rotation with
// an overlap during which both secrets sign, and the public shape.
import { webhookSecretPlace } from '../model/secret-places.js';
import { isIP } from 'node:net';
import { recordAuditEvent } from '../audit/record.js';
import type { AppContext } from '../context.js';
import { encryptSecret, decryptSecret } from '../crypto/envelope.js';
import {
  deleteEndpoint,
  findEndpoint,
  insertEndpoint,
  rotateEndpointSecret,
  updateEndpoint,
  type WebhookEndpointRow,
} from '../db/webhooks/endpoints.js';
import type { AuditContext, AuditTarget } from '../domain/audit.js';
import { conflict, invalid, notFound, type FieldProblem } from '../errors.js';
import { fromPublicId, newRowId, toPublicId } from '../model/ids.js';
import { addressAllowed } from '../outbound/address-policy.js';
import type { WebhookFormat } from '../db/schema.js';
import { NANGO_EVENT_TYPES } from './nango-format.js';
import { WEBHOOK_EVENT_TYPES } from './outbox.js';
import { generateWebhookSecret } from './signing.js';

export interface EndpointInput {
  url?: string;
  /** null or omitted: every event type. */
  events?: string[] | null;
  enabled?: boolean;
  /** `nango`: Nango's auth webhook bodies and signature, for the events Nango has. */
  format?: WebhookFormat;
}


export function endpointToApi(row: WebhookEndpointRow) {
  return {
    id: toPublicId('webhookEndpoint', row.id),
    url: row.url,
    events: row.events,
    enabled: row.enabled,
    format: row.format,
    disabled_reason: row.disabled_reason,
    previous_secret_expires_at: row.previous_secret_expires_at && row.previous_secret_expires_at.getTime() > Date.now() ? row.previous_secret_expires_at.toISOString() : null,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

function validate(ctx: AppContext, input: EndpointInput, format: WebhookFormat): void {
  const problems: FieldProblem[] = [];
  if (input.url !== undefined) {
    let url: URL | null = null;
    try {
      url = new URL(input.url);
    } catch {
      /* reported below */
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) problems.push({ field: 'url', message: 'must be an absolute http(s) URL' });
    else if (url.username || url.password) problems.push({ field: 'url', message: 'must not contain credentials' });
    else {
      // A literal special-purpose address can be refused now; names are checked when connecting.
      const host = url.hostname.replace(/^\[|\]$/g, '');
      if (isIP(host) && !addressAllowed({ allowPrivateNetwork: ctx.config.allowPrivateNetwork }, host, host)) {
        problems.push({ field: 'url', message: 'points to a private or special-purpose address (see GRANTKEEPER_ALLOW_PRIVATE_NETWORK)' });
      }
    }
  }
  input.events?.forEach((type, i) => {
    if (!(WEBHOOK_EVENT_TYPES as readonly string[]).includes(type)) {
      problems.push({ field: `events.${i}`, message: `unknown event type "${type}"; known: ${WEBHOOK_EVENT_TYPES.join(', ')}` });
    }
  });
  if (format === 'nango') {
    input.events?.forEach((type, i) => {
      if (!(NANGO_EVENT_TYPES as readonly string[]).includes(type)) {
        problems.push({ field: `events.${i}`, message: `"${type}" has no Nango auth webhook; a nango endpoint takes ${NANGO_EVENT_TYPES.join(', ')}` });
      }
    });
  }
  if (problems.length > 0) throw invalid(problems);
}

/** The events column: a nango endpoint without a list gets the events Nango has webhooks for. */
function eventsFor(format: WebhookFormat, events: string[] | null | undefined): string | null {
  return eventsColumn(format === 'nango' && !events ? NANGO_EVENT_TYPES : events);
}

const endpointTarget = (id: string): AuditTarget => ({ type: 'webhook_endpoint', id: toPublicId('webhookEndpoint', id) });

const eventsColumn = (events: string[] | null | undefined) => (events ? JSON.stringify([...new Set(events)]) : null);

export async function createEndpoint(ctx: AppContext, audit: AuditContext, input: EndpointInput & { url: string }): Promise<{ row: WebhookEndpointRow; secret: string }> {
  const format = input.format ?? 'standard';
  validate(ctx, input, format);
  const id = newRowId();
  const secret = generateWebhookSecret();
  const row = await ctx.db.kysely.transaction().execute(async (trx) => {
    const inserted = await insertEndpoint(trx, {
      id,
      url: input.url,
      events: eventsFor(format, input.events),
      enabled: input.enabled ?? true,
      format,
      secret_enc: encryptSecret(ctx.keyring, secret, webhookSecretPlace(id, 'secret_enc')),
    });
    await recordAuditEvent(trx, audit, 'webhook_endpoint.created', endpointTarget(id));
    return inserted;
  });
  return { row, secret };
}

export async function requireEndpoint(ctx: AppContext, publicId: string): Promise<WebhookEndpointRow> {
  const id = fromPublicId('webhookEndpoint', publicId);
  const row = id ? await findEndpoint(ctx.db.kysely, id) : undefined;
  if (!row) throw notFound(`Webhook endpoint "${publicId}"`);
  return row;
}

export async function patchEndpoint(ctx: AppContext, audit: AuditContext, publicId: string, input: EndpointInput): Promise<WebhookEndpointRow> {
  const current = await requireEndpoint(ctx, publicId);
  const format = input.format ?? current.format;
  // Becoming nango keeps only the events Nango has (the current list is checked as if given).
  const events = input.events !== undefined ? input.events : format !== current.format ? current.events : undefined;
  validate(ctx, { ...input, events }, format);
  const row = await ctx.db.kysely.transaction().execute(async (trx) => {
    const updated = await updateEndpoint(trx, current.id, {
      ...(input.url !== undefined ? { url: input.url } : {}),
      ...(events !== undefined ? { events: eventsFor(format, events) } : {}),
      ...(input.format !== undefined ? { format: input.format } : {}),
      // Enabling again clears why it was disabled.
      ...(input.enabled !== undefined ? { enabled: input.enabled, disabled_reason: input.enabled ? null : 'disabled through the API' } : {}),
    });
    const fields = Object.entries(input).filter(([, value]) => value !== undefined).map(([field]) => field).sort();
    if (updated) await recordAuditEvent(trx, audit, 'webhook_endpoint.updated', endpointTarget(updated.id), { fields });
    return updated;
  });
  if (!row) throw notFound(`Webhook endpoint "${publicId}"`);
  return row;
}

/** A new secret signs from now on; the old one also signs until the overlap ends. */
export async function rotateSecret(ctx: AppContext, audit: AuditContext, publicId: string): Promise<{ row: WebhookEndpointRow; secret: string }> {
  const current = await requireEndpoint(ctx, publicId);
  const oldSecret = decryptSecret(ctx.keyring, current.secret_enc, webhookSecretPlace(current.id, 'secret_enc'));
  const secret = generateWebhookSecret();
  const row = await ctx.db.kysely.transaction().execute(async (trx) => {
    const rotated = await rotateEndpointSecret(
      trx,
      current.id,
      current.secret_enc,
      encryptSecret(ctx.keyring, secret, webhookSecretPlace(current.id, 'secret_enc')),
      encryptSecret(ctx.keyring, oldSecret, webhookSecretPlace(current.id, 'previous_secret_enc')),
      ctx.config.webhooks.secretOverlapS,
    );
    if (rotated) await recordAuditEvent(trx, audit, 'webhook_endpoint.secret_rotated', endpointTarget(rotated.id));
    return rotated;
  });
  if (!row) throw conflict('concurrent_update', 'The endpoint changed during the rotation; retry.');
  return { row, secret };
}

export async function removeEndpoint(ctx: AppContext, audit: AuditContext, publicId: string): Promise<void> {
  const row = await requireEndpoint(ctx, publicId);
  const deleted = await ctx.db.kysely.transaction().execute(async (trx) => {
    const gone = await deleteEndpoint(trx, row.id);
    if (gone) await recordAuditEvent(trx, audit, 'webhook_endpoint.deleted', endpointTarget(row.id));
    return gone;
  });
  if (!deleted) throw notFound(`Webhook endpoint "${publicId}"`);
}
