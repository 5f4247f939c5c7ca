// GET /v1/integrations/{key}/events — an integration's own history: the connect flows that
// failed (code exchange refused, no refresh token, a private address, a failed verification …)
// with the real reason, which the end user's return URL only carries as a short code.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { requireScope } from '../../auth/scopes.js';
import type { AppContext } from '../../context.js';
import { listIntegrationEvents } from '../../db/events/list-integration-events.js';
import { encodeCursor } from '../../db/pagination.js';
import { toPublicId } from '../../model/ids.js';
import { getIntegration } from '../../model/integrations.js';
import { cursorParam } from '../cursor.js';
import { assertIntegrationVisible } from '../integration-limits.js';
import { IntegrationEventSchema, PageQuery, listOf, problemResponses } from '../schemas.js';

export function integrationEventRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    r.get('/v1/integrations/:key/events', {
      config: requireScope('connections:read'),
      schema: {
        tags: ['integrations'],
        summary: "An integration's own history, newest first: failed connect flows (type connect_failed)",
        description:
          '`error` is the code the return URL got (code_exchange_failed, no_refresh_token, account_mismatch, a diagnosis code after a failed verification …); `error_description` says what really happened; `connection_id` is set when a connection was involved.',
        params: Type.Object({ key: Type.String({ maxLength: 64 }) }),
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: { 200: listOf(IntegrationEventSchema), ...problemResponses },
      },
    }, async (request) => {
      assertIntegrationVisible(request, request.params.key);
      const integration = await getIntegration(ctx, request.params.key);
      const limit = request.query.limit ?? 50;
      const decoded = cursorParam(request.query.cursor);
      const rows = await listIntegrationEvents(ctx.db.kysely, integration.id, limit, decoded && { at: decoded.createdAt, id: decoded.id });
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        data: page.map((e) => ({
          id: toPublicId('event', e.id),
          at: e.at.toISOString(),
          type: e.type,
          trigger: e.trigger,
          outcome: e.outcome,
          http_status: e.http_status,
          error: e.error,
          error_description: e.error_description,
          duration_ms: e.duration_ms,
          rotated: e.rotated,
          detail: e.detail,
          // Named in the detail, not linked: the history outlives a deleted connection.
          connection_id: typeof e.detail.connection_id === 'string' ? e.detail.connection_id : null,
        })),
        next_cursor: rows.length > limit && last ? encodeCursor({ createdAt: last.at, id: last.id }) : null,
      };
    });
  };
}
