// /v1/integrations — one OAuth app at one provider.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { countConnectionsOfIntegration } from '../../db/integrations/count-connections.js';
import { listIntegrations } from '../../db/integrations/list-integrations.js';
import { toPage } from '../../db/pagination.js';
import {
  createIntegration,
  getIntegration,
  integrationToApi,
  removeIntegration,
  updateIntegration,
} from '../../model/integrations.js';
import { requireScope } from '../../auth/scopes.js';
import { principalOf } from '../../auth/principal.js';
import { conflict, forbidden } from '../../errors.js';
import { issueIntegrationCertificate } from '../../model/integration-certificate.js';
import { deleteAllConnectionsOfIntegration } from '../../grants/delete-connection.js';
import { auditOf } from '../audit-context.js';
import { CertificateBody, CertificateSchema } from '../certificate-schemas.js';
import { cursorParam } from '../cursor.js';
import { assertIntegrationVisible, mayUseIntegration } from '../integration-limits.js';
import { IntegrationCreateBody, IntegrationPatchBody, IntegrationSchema, PageQuery, listOf, problemResponses } from '../schemas.js';

interface IntegrationHooks {
  /** The client secret changed: re-probe one connection (the refresh engine). */
  onSecretChanged?(integrationId: string): void;
}

const KeyParams = Type.Object({ key: Type.String({ maxLength: 64 }) });

export function integrationRoutes(ctx: AppContext, hooks: IntegrationHooks): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();

    r.post('/v1/integrations', {
      config: requireScope('integrations:write'),
      schema: { tags: ['integrations'], summary: 'Create an integration', body: IntegrationCreateBody, response: { 201: IntegrationSchema, ...problemResponses, 422: problemResponses[400] } },
    }, async (request, reply) => {
      // Answered before looking: whether the key exists stays unknown to a limited key.
      if (!mayUseIntegration(request, request.body.key)) {
        throw forbidden('integration_not_allowed', `This API key is limited to other integrations than "${request.body.key}".`);
      }
      const row = await createIntegration(ctx, auditOf(request), request.body);
      return reply.code(201).send(integrationToApi(row, ctx.config.publicUrl, { connection_count: 0 }));
    });

    r.get('/v1/integrations', {
      config: requireScope('connections:read'),
      schema: { tags: ['integrations'], summary: 'List integrations', querystring: Type.Object(PageQuery, { additionalProperties: false }), response: { 200: listOf(IntegrationSchema), ...problemResponses } },
    }, async (request) => {
      const limit = request.query.limit ?? 50;
      const cursor = cursorParam(request.query.cursor);
      const allowed = principalOf(request).integrations;
      const page = toPage(await listIntegrations(ctx.db.kysely, limit, cursor, allowed === null ? undefined : [...allowed]), limit);
      return { data: page.rows.map((row) => integrationToApi(row, ctx.config.publicUrl)), next_cursor: page.nextCursor };
    });

    r.get('/v1/integrations/:key', {
      config: requireScope('connections:read'),
      schema: { tags: ['integrations'], summary: 'Get an integration', params: KeyParams, response: { 200: IntegrationSchema, ...problemResponses } },
    }, async (request) => {
      assertIntegrationVisible(request, request.params.key);
      const row = await getIntegration(ctx, request.params.key);
      return integrationToApi(row, ctx.config.publicUrl, { connection_count: await countConnectionsOfIntegration(ctx.db.kysely, row.id) });
    });

    r.patch('/v1/integrations/:key', {
      config: requireScope('integrations:write'),
      schema: { tags: ['integrations'], summary: 'Update an integration', params: KeyParams, body: IntegrationPatchBody, response: { 200: IntegrationSchema, ...problemResponses, 422: problemResponses[400] } },
    }, async (request) => {
      assertIntegrationVisible(request, request.params.key);
      const { row, secretChanged } = await updateIntegration(ctx, auditOf(request), request.params.key, request.body);
      if (secretChanged) hooks.onSecretChanged?.(row.id);
      return integrationToApi(row, ctx.config.publicUrl);
    });

    r.post('/v1/integrations/:key/certificate', {
      config: requireScope('integrations:write'),
      schema: {
        tags: ['integrations'],
        summary: "Issue a self-signed certificate for the integration's private key",
        description: 'Signed on the server with the stored private_key, which never leaves it. 409 when the integration has no private_key.',
        params: KeyParams,
        body: CertificateBody,
        response: { 200: CertificateSchema, ...problemResponses },
      },
      // Every field has a default, so a POST with no body at all asks for the defaults.
      preValidation: async (request) => {
        if (request.body === undefined) request.body = {};
      },
    }, async (request) => {
      assertIntegrationVisible(request, request.params.key);
      return issueIntegrationCertificate(ctx, auditOf(request), request.params.key, request.body);
    });

    r.delete('/v1/integrations/:key', {
      config: requireScope('integrations:write'),
      schema: {
        tags: ['integrations'],
        summary: 'Delete an integration',
        description: 'Refused with 409 while connections exist, unless `force=true`, which revokes and deletes them all.',
        params: KeyParams,
        querystring: Type.Object({ force: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
        response: { 204: Type.Null(), ...problemResponses },
      },
    }, async (request, reply) => {
      assertIntegrationVisible(request, request.params.key);
      const row = await getIntegration(ctx, request.params.key);
      const count = await countConnectionsOfIntegration(ctx.db.kysely, row.id);
      if (count > 0) {
        if (!request.query.force) {
          throw conflict('integration_in_use', `The integration has ${count} connection(s); delete them first or pass force=true.`, { connection_count: count });
        }
        await deleteAllConnectionsOfIntegration(ctx, auditOf(request), row.id);
      }
      await removeIntegration(ctx, auditOf(request), row);
      return reply.code(204).send(null);
    });
  };
}
