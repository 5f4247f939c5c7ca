// Webhook endpoints and deliveries (issue #6): /v1/webhook-endpoints, /v1/webhook-deliveries.
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../context.js';
import type { WebhookDispatcher } from '../../webhooks/dispatcher.js';

export function webhookRoutes(_ctx: AppContext, _deps: { dispatcher: WebhookDispatcher }): FastifyPluginAsync {
  return async () => {};
}
