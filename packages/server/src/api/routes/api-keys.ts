// /v1/api-keys — API keys as rows: scopes, an optional integration list and expiry; the
// secret is shown once. Admin only. Keys of GRANTKEEPER_SECRET_KEY are listed (source
// `environment`) but revoked only by removing them there.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { createApiKey, environmentKeyView, revokeApiKey, storedKeyView, type ApiKeyView } from '../../auth/api-keys.js';
import { requireScope } from '../../auth/scopes.js';
import type { AppContext } from '../../context.js';
import { badRequest, notFound } from '../../errors.js';
import { ApiKeyCreateBody, ApiKeySchema, ApiKeyWithSecret } from '../api-key-schemas.js';
import { auditOf } from '../audit-context.js';
import { PageQuery, listOf, problemResponses } from '../schemas.js';

const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
const tags = ['api keys'];

/** Every key that authenticates on this server: the environment's first, then stored ones, newest first. */
async function allKeys(ctx: AppContext): Promise<ApiKeyView[]> {
  const stored = await ctx.auth.readStoredKeys();
  return [...ctx.auth.keys.environmentKeys().map(environmentKeyView), ...stored.map(storedKeyView)];
}

const encodeCursor = (id: string) => Buffer.from(id).toString('base64url');
const decodeCursor = (cursor: string) => Buffer.from(cursor, 'base64url').toString('utf8');

export function apiKeyRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();

    r.post('/v1/api-keys', {
      config: requireScope('admin'),
      schema: {
        tags,
        summary: 'Create an API key',
        description: 'The secret (`gk_sk_…`) is returned only in this response; only its hash is stored. A key limited to `integrations` sees nothing of the others and cannot hold `admin` or `webhooks:write`.',
        body: ApiKeyCreateBody,
        response: { 201: ApiKeyWithSecret, ...problemResponses },
      },
    }, async (request, reply) => {
      const created = await createApiKey(ctx, auditOf(request), request.body);
      return reply.code(201).header('cache-control', 'no-store').send(created);
    });

    r.get('/v1/api-keys', {
      config: requireScope('admin'),
      schema: {
        tags,
        summary: 'List API keys',
        description: '`last_used_at` is written at most once a minute per key, off the request path.',
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: { 200: listOf(ApiKeySchema), ...problemResponses },
      },
    }, async (request) => {
      const limit = request.query.limit ?? 50;
      const keys = await allKeys(ctx);
      let start = 0;
      if (request.query.cursor !== undefined) {
        const after = decodeCursor(request.query.cursor);
        const index = keys.findIndex((k) => k.id === after);
        if (index === -1) throw badRequest('invalid_cursor', 'The cursor is malformed, or its key was revoked meanwhile.');
        start = index + 1;
      }
      const page = keys.slice(start, start + limit);
      const more = start + limit < keys.length && page.length > 0;
      return { data: page, next_cursor: more ? encodeCursor(page[page.length - 1]!.id) : null };
    });

    r.get('/v1/api-keys/:id', {
      config: requireScope('admin'),
      schema: { tags, summary: 'Get an API key', params: IdParams, response: { 200: ApiKeySchema, ...problemResponses } },
    }, async (request) => {
      const key = (await allKeys(ctx)).find((k) => k.id === request.params.id);
      if (!key) throw notFound(`API key "${request.params.id}"`);
      return key;
    });

    r.delete('/v1/api-keys/:id', {
      config: requireScope('admin'),
      schema: {
        tags,
        summary: 'Revoke an API key',
        description: 'Refused from then on (401) on every instance, and every dashboard session made with it ends. Keys of GRANTKEEPER_SECRET_KEY answer 409 `environment_key`.',
        params: IdParams,
        response: { 204: Type.Null(), ...problemResponses },
      },
    }, async (request, reply) => {
      await revokeApiKey(ctx, auditOf(request), request.params.id);
      return reply.code(204).send(null);
    });
  };
}
