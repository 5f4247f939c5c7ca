// Webhook endpoints and deliveries (issue #6): /v1/webhook-endpoints, /v1/webhook-deliveries.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { requireScope } from '../../auth/scopes.js';
import type { AppContext } from '../../context.js';
import { findDelivery, listDeliveries, requeueDelivery, type DeliveryView } from '../../db/webhooks/deliveries.js';
import { listEndpoints } from '../../db/webhooks/endpoints.js';
import { toPage } from '../../db/pagination.js';
import { fromPublicId, toPublicId } from '../../model/ids.js';
import type { WebhookDispatcher } from '../../webhooks/dispatcher.js';
import { createEndpoint, endpointToApi, patchEndpoint, removeEndpoint, requireEndpoint, rotateSecret } from '../../webhooks/endpoints.js';
import { WEBHOOK_EVENT_TYPES } from '../../webhooks/outbox.js';
import { invalid, notFound } from '../../errors.js';
import { auditOf } from '../audit-context.js';
import { cursorParam } from '../cursor.js';
import { DeliverySchema, DeliveryStatus, EndpointSchema, EndpointWithSecret, Nullable, PageQuery, listOf, problemResponses } from '../schemas.js';

const EventType = Type.Unsafe<string>({ type: 'string', enum: [...WEBHOOK_EVENT_TYPES] });
const Events = Type.Array(EventType, { minItems: 1, maxItems: 64, description: 'Event types to receive; omitted or null: all of them.' });
const EndpointUrl = Type.String({ minLength: 1, maxLength: 2048, description: 'http(s) URL receiving POSTs' });

const Format = Type.Union([Type.Literal('standard'), Type.Literal('nango')], {
  description: "standard (default): Grantkeeper's events signed as Standard Webhooks; nango: Nango's auth webhook bodies (creation, override, refresh failure) with Nango's X-Nango-Hmac-Sha256 signature",
});
const EndpointCreateBody = Type.Object(
  { url: EndpointUrl, events: Type.Optional(Nullable(Events)), format: Type.Optional(Format) },
  { additionalProperties: false },
);
const EndpointPatchBody = Type.Object(
  { url: Type.Optional(EndpointUrl), events: Type.Optional(Nullable(Events)), enabled: Type.Optional(Type.Boolean()), format: Type.Optional(Format) },
  { additionalProperties: false, minProperties: 1 },
);

const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

function deliveryToApi(view: DeliveryView) {
  return {
    id: toPublicId('delivery', view.id),
    event_id: toPublicId('event', view.outbox_id),
    event_type: view.type,
    endpoint: toPublicId('webhookEndpoint', view.endpoint_id),
    status: view.status,
    attempts: view.attempts,
    next_attempt_at: view.status === 'pending' ? (view.next_attempt_at?.toISOString() ?? null) : null,
    last_attempt_at: view.last_attempt_at?.toISOString() ?? null,
    last_response_status: view.last_response_status,
    last_response_body: view.last_response_body,
    last_error: view.last_error,
    created_at: view.created_at.toISOString(),
    delivered_at: view.delivered_at?.toISOString() ?? null,
  };
}

export function webhookRoutes(ctx: AppContext, deps: { dispatcher: WebhookDispatcher }): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const tags = ['webhooks'];

    r.post('/v1/webhook-endpoints', {
      config: requireScope('webhooks:write'),
      schema: { tags, summary: 'Create a webhook endpoint', description: 'The signing secret is returned only in this response.', body: EndpointCreateBody, response: { 201: EndpointWithSecret, ...problemResponses } },
    }, async (request, reply) => {
      const { row, secret } = await createEndpoint(ctx, auditOf(request), request.body);
      return reply.code(201).send({ ...endpointToApi(row), secret });
    });

    r.get('/v1/webhook-endpoints', {
      config: requireScope('webhooks:write'),
      schema: { tags, summary: 'List webhook endpoints', querystring: Type.Object(PageQuery, { additionalProperties: false }), response: { 200: listOf(EndpointSchema), ...problemResponses } },
    }, async (request) => {
      const limit = request.query.limit ?? 50;
      const page = toPage(await listEndpoints(ctx.db.kysely, limit, cursorParam(request.query.cursor)), limit);
      return { data: page.rows.map(endpointToApi), next_cursor: page.nextCursor };
    });

    r.get('/v1/webhook-endpoints/:id', {
      config: requireScope('webhooks:write'),
      schema: { tags, summary: 'Get a webhook endpoint', params: IdParams, response: { 200: EndpointSchema, ...problemResponses } },
    }, async (request) => endpointToApi(await requireEndpoint(ctx, request.params.id)));

    r.patch('/v1/webhook-endpoints/:id', {
      config: requireScope('webhooks:write'),
      schema: { tags, summary: 'Update a webhook endpoint', params: IdParams, body: EndpointPatchBody, response: { 200: EndpointSchema, ...problemResponses } },
    }, async (request) => {
      const row = await patchEndpoint(ctx, auditOf(request), request.params.id, request.body);
      if (row.enabled) deps.dispatcher.wake();
      return endpointToApi(row);
    });

    r.delete('/v1/webhook-endpoints/:id', {
      config: requireScope('webhooks:write'),
      schema: { tags, summary: 'Delete a webhook endpoint', description: 'Its pending deliveries are dropped.', params: IdParams, response: { 204: Type.Null(), ...problemResponses } },
    }, async (request, reply) => {
      await removeEndpoint(ctx, auditOf(request), request.params.id);
      return reply.code(204).send(null);
    });

    r.post('/v1/webhook-endpoints/:id/rotate-secret', {
      config: requireScope('webhooks:write'),
      schema: {
        tags,
        summary: "Rotate an endpoint's signing secret",
        description: 'Returns the new secret once. The previous secret keeps signing (a second signature) until previous_secret_expires_at.',
        params: IdParams,
        response: { 200: EndpointWithSecret, ...problemResponses },
      },
    }, async (request) => {
      const { row, secret } = await rotateSecret(ctx, auditOf(request), request.params.id);
      return { ...endpointToApi(row), secret };
    });

    r.post('/v1/webhook-endpoints/:id/ping', {
      config: requireScope('webhooks:write'),
      schema: {
        tags,
        summary: 'Send a test event',
        description: 'Sends a `ping` event to this endpoint only, now, and answers with the delivery (delivered or failed; never retried on its own).',
        params: IdParams,
        response: { 200: DeliverySchema, ...problemResponses },
      },
    }, async (request) => deliveryToApi(await deps.dispatcher.ping(await requireEndpoint(ctx, request.params.id))));

    r.get('/v1/webhook-deliveries', {
      config: requireScope('webhooks:write'),
      schema: {
        tags,
        summary: 'List webhook deliveries',
        querystring: Type.Object(
          { ...PageQuery, status: Type.Optional(DeliveryStatus), endpoint: Type.Optional(Type.String({ maxLength: 64 })) },
          { additionalProperties: false },
        ),
        response: { 200: listOf(DeliverySchema), ...problemResponses },
      },
    }, async (request) => {
      const limit = request.query.limit ?? 50;
      let endpointId: string | undefined;
      if (request.query.endpoint !== undefined) {
        endpointId = fromPublicId('webhookEndpoint', request.query.endpoint) ?? undefined;
        if (!endpointId) throw invalid([{ field: 'querystring.endpoint', message: 'must be a webhook endpoint id (we_…)' }]);
      }
      const rows = await listDeliveries(ctx.db.kysely, { status: request.query.status, endpointId }, limit, cursorParam(request.query.cursor));
      const page = toPage(rows, limit);
      return { data: page.rows.map(deliveryToApi), next_cursor: page.nextCursor };
    });

    r.get('/v1/webhook-deliveries/:id', {
      config: requireScope('webhooks:write'),
      schema: { tags, summary: 'Get a webhook delivery', params: IdParams, response: { 200: DeliverySchema, ...problemResponses } },
    }, async (request) => {
      const id = fromPublicId('delivery', request.params.id);
      const view = id ? await findDelivery(ctx.db.kysely, id) : undefined;
      if (!view) throw notFound(`Webhook delivery "${request.params.id}"`);
      return deliveryToApi(view);
    });

    r.post('/v1/webhook-deliveries/:id/retry', {
      config: requireScope('webhooks:write'),
      schema: {
        tags,
        summary: 'Retry a delivery now',
        description: 'Queues the delivery for an attempt now, whatever its status (also a failed or delivered one). Retries keep their original window (about a day from the delivery\'s creation): past it, a failing attempt marks the delivery failed again.',
        params: IdParams,
        response: { 200: DeliverySchema, ...problemResponses },
      },
    }, async (request) => {
      const id = fromPublicId('delivery', request.params.id);
      if (!id || !(await requeueDelivery(ctx.db.kysely, id))) throw notFound(`Webhook delivery "${request.params.id}"`);
      deps.dispatcher.wake();
      return deliveryToApi((await findDelivery(ctx.db.kysely, id))!);
    });
  };
}
