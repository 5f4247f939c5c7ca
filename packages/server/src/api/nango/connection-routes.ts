// Nango's connection endpoints (as `@nangohq/node` 0.71 calls them): get one with its
// credentials (`force_refresh`, `refresh_token`), list, delete, set/update metadata.
// Tokens come from the same token path as /v1 (cache, single-flight refresh, diagnosis).
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { requireScope } from '../../auth/scopes.js';
import type { AppContext } from '../../context.js';
import { findConnection } from '../../db/connections/find-connection.js';
import { deleteConnection } from '../../grants/delete-connection.js';
import { replaceConnectionMetadata } from '../../grants/update-metadata.js';
import { toPublicId } from '../../model/ids.js';
import { openRefreshToken } from '../../model/secret-places.js';
import { getToken, type Refresher } from '../../refresh/token-service.js';
import { invalid } from '../../errors.js';
import { auditOf } from '../audit-context.js';
import { MetadataSchema } from '../schemas.js';
import { listNangoConnections } from './list.js';
import { requireNangoConnection } from './lookup.js';
import { nangoConnection, nangoConnectionId } from './shapes.js';

const ConnectionParams = Type.Object({ connectionId: Type.String({ minLength: 1, maxLength: 255 }) });
const KeyQuery = { provider_config_key: Type.String({ minLength: 1, maxLength: 64 }) };

const MetadataBody = Type.Object({
  metadata: MetadataSchema,
  connection_id: Type.Union([Type.String({ minLength: 1, maxLength: 255 }), Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { minItems: 1, maxItems: 100 })]),
  provider_config_key: Type.String({ minLength: 1, maxLength: 64 }),
});

export function nangoConnectionRoutes(ctx: AppContext, refresher: Refresher): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();

    r.get('/connections/:connectionId', {
      config: requireScope('tokens:read'),
      schema: {
        tags: ['nango'],
        summary: "Nango's getConnection / getToken: the connection with its credentials",
        params: ConnectionParams,
        querystring: Type.Object({
          ...KeyQuery,
          force_refresh: Type.Optional(Type.Boolean()),
          refresh_token: Type.Optional(Type.Boolean()),
          refresh_github_app_jwt_token: Type.Optional(Type.Boolean()),
        }),
      },
    }, async (request) => {
      const arrivedAt = new Date();
      const { row, integration } = await requireNangoConnection(ctx, request, request.query.provider_config_key, request.params.connectionId);
      const publicId = toPublicId('connection', row.id);
      const { token, warning } = await getToken(ctx, refresher, publicId, { force: request.query.force_refresh === true, arrivedAt });
      ctx.auditCounts.count(auditOf(request), 'token.read', { type: 'connection', id: publicId });
      // After a refresh (or a failed one) the row moved on — generation, errors: answer with the
      // current one. Served from the cache or the row as read, the row is current enough.
      const moved = warning !== undefined || token.generation !== Number(row.generation) || request.query.refresh_token === true;
      const current = moved ? ((await findConnection(ctx.db.kysely, row.id)) ?? row) : row;
      const refreshToken = request.query.refresh_token === true ? openRefreshToken(ctx.keyring, current) : null;
      return nangoConnection(current, integration, {
        accessToken: token.access_token,
        expiresAt: token.expires_at,
        ...(refreshToken !== null ? { refreshToken } : {}),
      });
    });

    r.get('/connections', {
      config: requireScope('connections:read'),
      schema: {
        tags: ['nango'],
        summary: "Nango's listConnections",
        // Nango's tag filters (`tags[key]=value`) are accepted and ignored: Grantkeeper keeps no tags.
        querystring: Type.Object(
          {
            connectionId: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
            search: Type.Optional(Type.String({ maxLength: 255 })),
            endUserId: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
            endUserOrganizationId: Type.Optional(Type.String({ maxLength: 256 })),
            integrationId: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
            page: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000 })),
          },
          { additionalProperties: true },
        ),
      },
    }, async (request) => ({ connections: await listNangoConnections(ctx, request, request.query) }));

    r.delete('/connections/:connectionId', {
      config: requireScope('connections:write'),
      schema: { tags: ['nango'], summary: "Nango's deleteConnection (revokes the grant at the provider)", params: ConnectionParams, querystring: Type.Object(KeyQuery) },
    }, async (request) => {
      const { row } = await requireNangoConnection(ctx, request, request.query.provider_config_key, request.params.connectionId);
      await deleteConnection(ctx, auditOf(request), toPublicId('connection', row.id));
      return { success: true };
    });

    // setMetadata replaces the metadata; updateMetadata merges into it (top-level keys).
    for (const method of ['POST', 'PATCH'] as const) {
      r.route({
        method,
        url: '/connections/metadata',
        config: requireScope('connections:write'),
        schema: { tags: ['nango'], summary: method === 'POST' ? "Nango's setMetadata (replaces)" : "Nango's updateMetadata (merges)", body: MetadataBody },
        handler: async (request) => {
          const { metadata, provider_config_key: key } = request.body;
          const ids = Array.isArray(request.body.connection_id) ? request.body.connection_id : [request.body.connection_id];
          // Every connection is resolved first, so an unknown one changes nothing.
          const targets = await Promise.all(ids.map((id) => requireNangoConnection(ctx, request, key, id)));
          for (const { row } of targets) {
            const next = method === 'POST' ? metadata : { ...row.metadata, ...metadata };
            if (Object.keys(next).length > 50) throw invalid([{ field: 'metadata', message: 'the merged metadata would have more than 50 keys' }]);
            await replaceConnectionMetadata(ctx, auditOf(request), toPublicId('connection', row.id), next);
          }
          return { connection_id: targets.length === 1 ? nangoConnectionId(targets[0]!.row) : targets.map((t) => nangoConnectionId(t.row)), provider_config_key: key, metadata };
        },
      });
    }
  };
}
