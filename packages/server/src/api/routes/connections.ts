// /v1/connections — one end user's grant through one integration, its token and history.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { listConnectionEvents } from '../../db/events/list-connection-events.js';
import { findIntegrationById } from '../../db/integrations/find-integration.js';
import { listConnections } from '../../db/connections/list-connections.js';
import { encodeCursor } from '../../db/pagination.js';
import type { IntegrationRow } from '../../db/types.js';
import { deleteConnection } from '../../grants/delete-connection.js';
import { importConnection } from '../../grants/import-connection.js';
import { principalOf } from '../../auth/principal.js';
import { requireScope } from '../../auth/scopes.js';
import { replaceConnectionMetadata } from '../../grants/update-metadata.js';
import { recordAuditEvent } from '../../audit/record.js';
import { connectionToApi } from '../../model/connection-view.js';
import { toPublicId } from '../../model/ids.js';
import { getToken, type Refresher } from '../../refresh/token-service.js';
import { auditOf } from '../audit-context.js';
import { cursorParam } from '../cursor.js';
import { ConnectionIntegrations, mayUseIntegration, requireVisibleConnection, visibleIntegrationIds } from '../integration-limits.js';
import { invalid } from '../../errors.js';
import {
  ConnectionImportBody,
  ConnectionSchema,
  ConnectionStatusSchema,
  EventSchema,
  MetadataSchema,
  PageQuery,
  TokenResponseSchema,
  listOf,
  problemResponses,
} from '../schemas.js';

const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

interface ConnectionHooks {
  /** `POST /v1/connections?verify=true`: refresh once and answer with the outcome. */
  verifyImported?(connectionId: string): Promise<void>;
}

export function connectionRoutes(ctx: AppContext, refresher: Refresher, hooks: ConnectionHooks = {}): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const connectionIntegrations = new ConnectionIntegrations(ctx);
    const integrationsById = async (ids: string[]) => {
      const map = new Map<string, IntegrationRow>();
      for (const id of new Set(ids)) {
        const row = await findIntegrationById(ctx.db.kysely, id);
        if (row) map.set(id, row);
      }
      return map;
    };

    r.post('/v1/connections', {
      config: requireScope('connections:write'),
      schema: {
        tags: ['connections'],
        summary: 'Import a grant obtained elsewhere',
        description:
          'A refresh token another connection holds is refused with 409 duplicate_grant; one this server held before and has rotated out or replaced, with 409 retired_grant (its first refresh would make a rotating provider revoke the live token family).',
        body: ConnectionImportBody,
        querystring: Type.Object({ verify: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
        response: { 201: ConnectionSchema, ...problemResponses },
      },
    }, async (request, reply) => {
      // A hidden integration is refused exactly as an unknown one (grants/import-connection.ts).
      if (!mayUseIntegration(request, request.body.integration)) {
        throw invalid([{ field: 'integration', message: `no integration with key "${request.body.integration}"` }]);
      }
      const { row, integration } = await importConnection(ctx, auditOf(request), request.body);
      if (request.query.verify && hooks.verifyImported) {
        await hooks.verifyImported(row.id);
        const { row: refreshed } = await requireVisibleConnection(ctx, request, toPublicId('connection', row.id));
        const latest = (await findIntegrationById(ctx.db.kysely, integration.id)) ?? integration;
        return reply.code(201).send(connectionToApi(refreshed, latest));
      }
      return reply.code(201).send(connectionToApi(row, integration));
    });

    r.get('/v1/connections', {
      config: requireScope('connections:read'),
      schema: {
        tags: ['connections'],
        summary: 'List connections',
        querystring: Type.Object(
          {
            ...PageQuery,
            integration: Type.Optional(Type.String({ maxLength: 64 })),
            status: Type.Optional(ConnectionStatusSchema),
            end_user_id: Type.Optional(Type.String({ maxLength: 256 })),
            org_id: Type.Optional(Type.String({ maxLength: 18 })),
            external_id: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
            diagnosis: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$', description: "Only connections whose current diagnosis has this code (e.g. immediate_expiry_policy, revoked)" })),
          },
          { additionalProperties: false },
        ),
        response: { 200: listOf(ConnectionSchema), ...problemResponses },
      },
    }, async (request) => {
      const q = request.query;
      const limit = q.limit ?? 50;
      const cursor = cursorParam(q.cursor);
      const integrationIds = await visibleIntegrationIds(ctx, request, q.integration);
      const rows = await listConnections(
        ctx.db.kysely,
        { integrationIds: integrationIds === 'all' ? undefined : integrationIds, status: q.status, endUserId: q.end_user_id, orgId: q.org_id, diagnosisCode: q.diagnosis, externalId: q.external_id },
        limit,
        cursor,
      );
      const page = rows.slice(0, limit);
      const integrations = await integrationsById(page.map((row) => row.integration_id));
      const last = page[page.length - 1];
      return {
        data: page.map((row) => connectionToApi(row, integrations.get(row.integration_id)!)),
        next_cursor: rows.length > limit && last ? encodeCursor({ createdAt: last.created_at, id: last.id }) : null,
      };
    });

    r.get('/v1/connections/:id', {
      config: requireScope('connections:read'),
      schema: { tags: ['connections'], summary: 'Get a connection', params: IdParams, response: { 200: ConnectionSchema, ...problemResponses } },
    }, async (request) => {
      const { row, integration } = await requireVisibleConnection(ctx, request, request.params.id);
      return connectionToApi(row, integration);
    });

    r.patch('/v1/connections/:id', {
      config: requireScope('connections:write'),
      schema: {
        tags: ['connections'],
        summary: "Update a connection's metadata",
        params: IdParams,
        body: Type.Object({ metadata: MetadataSchema }, { additionalProperties: false }),
        response: { 200: ConnectionSchema, ...problemResponses },
      },
    }, async (request) => {
      await requireVisibleConnection(ctx, request, request.params.id);
      const row = await replaceConnectionMetadata(ctx, auditOf(request), request.params.id, request.body.metadata);
      const integration = await findIntegrationById(ctx.db.kysely, row.integration_id);
      return connectionToApi(row, integration!);
    });

    r.delete('/v1/connections/:id', {
      config: requireScope('connections:write'),
      schema: {
        tags: ['connections'],
        summary: 'Delete a connection',
        description: 'Deletes locally and queues a revocation of the refresh token at the provider, retried with backoff for 24 h.',
        params: IdParams,
        response: { 204: Type.Null(), ...problemResponses },
      },
    }, async (request, reply) => {
      await requireVisibleConnection(ctx, request, request.params.id);
      await deleteConnection(ctx, auditOf(request), request.params.id);
      return reply.code(204).send(null);
    });

    r.get('/v1/connections/:id/token', {
      config: requireScope('tokens:read'),
      schema: {
        tags: ['connections'],
        summary: 'A valid access token (the hot path)',
        params: IdParams,
        querystring: Type.Object(
          {
            min_valid_s: Type.Optional(Type.Integer({ minimum: 0, maximum: 31_536_000 })),
            force: Type.Optional(Type.Boolean()),
            wait_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 30_000 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: TokenResponseSchema, ...problemResponses, 503: problemResponses[400] },
      },
    }, async (request, reply) => {
      const arrivedAt = new Date();
      // Only a key limited to some integrations needs to know whose connection this is.
      if (principalOf(request).integrations) await connectionIntegrations.assertVisible(request, request.params.id);
      const result = await getToken(ctx, refresher, request.params.id, {
        minValidS: request.query.min_valid_s,
        force: request.query.force,
        waitMs: request.query.wait_ms,
        arrivedAt,
      });
      // Counted in memory (written every GRANTKEEPER_AUDIT_FLUSH_MS): the fast path stays a cache hit.
      ctx.auditCounts.count(auditOf(request), 'token.read', { type: 'connection', id: request.params.id.toLowerCase() });
      if (result.warning) reply.header('grantkeeper-warning', result.warning);
      return result.token;
    });

    r.post('/v1/connections/:id/refresh', {
      config: requireScope('tokens:read'),
      schema: {
        tags: ['connections'],
        summary: 'Refresh now (an operator\'s "try now")',
        description:
          'Ignores any backoff. On an active or refresh_failing connection the normal rules apply (a permanent error is confirmed by one retry). On needs_reauth or integration_error it makes exactly one provider call: success → active and connection.recovered; failure → the same 409, status unchanged, no webhook.',
        params: IdParams,
        response: { 200: TokenResponseSchema, ...problemResponses, 503: problemResponses[400] },
      },
    }, async (request, reply) => {
      const { row: connection } = await requireVisibleConnection(ctx, request, request.params.id);
      // The operator's act, recorded before the refresh runs; its outcome is in the connection's events.
      await recordAuditEvent(ctx.db.kysely, auditOf(request), 'token.refresh', { type: 'connection', id: toPublicId('connection', connection.id) });
      const result = await refresher.refreshForced(connection.id);
      if (result.warning) reply.header('grantkeeper-warning', result.warning);
      return result.token;
    });

    r.post('/v1/connections/:id/verify', {
      config: requireScope('connections:write'),
      schema: {
        tags: ['connections'],
        summary: 'Refresh now and answer with the connection, never a token',
        description:
          'The same forced refresh as POST …/refresh, with the same 409/503 problems when it fails, but a success answers with the connection (its status, generation, last refresh) instead of the token. It is how the dashboard\'s "refresh now" works: no dashboard session can obtain a token.',
        params: IdParams,
        response: { 200: ConnectionSchema, ...problemResponses, 503: problemResponses[400] },
      },
    }, async (request, reply) => {
      const { row: connection } = await requireVisibleConnection(ctx, request, request.params.id);
      await recordAuditEvent(ctx.db.kysely, auditOf(request), 'token.refresh', { type: 'connection', id: toPublicId('connection', connection.id) });
      const result = await refresher.refreshForced(connection.id);
      if (result.warning) reply.header('grantkeeper-warning', result.warning);
      const { row, integration } = await requireVisibleConnection(ctx, request, request.params.id);
      return connectionToApi(row, integration);
    });

    r.get('/v1/connections/:id/events', {
      config: requireScope('connections:read'),
      schema: {
        tags: ['connections'],
        summary: "A connection's history, newest first",
        params: IdParams,
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: { 200: listOf(EventSchema), ...problemResponses },
      },
    }, async (request) => {
      const { row: connection } = await requireVisibleConnection(ctx, request, request.params.id);
      const limit = request.query.limit ?? 50;
      const decoded = cursorParam(request.query.cursor);
      const after = decoded && { at: decoded.createdAt, id: decoded.id };
      const rows = await listConnectionEvents(ctx.db.kysely, connection.id, limit, after);
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
        })),
        next_cursor: rows.length > limit && last ? encodeCursor({ createdAt: last.at, id: last.id }) : null,
      };
    });
  };
}
