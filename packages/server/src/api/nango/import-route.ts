// Nango's REST import (`POST /connections` with credentials), made a Grantkeeper import:
// `connection_id` becomes the connection's external_id, so the app's stored ids keep
// working. Only OAuth 2 grants with a refresh token can be kept alive, so only those are taken.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { requireScope } from '../../auth/scopes.js';
import type { AppContext } from '../../context.js';
import { invalid, type FieldProblem } from '../../errors.js';
import { importConnection, type ImportInput } from '../../grants/import-connection.js';
import { auditOf } from '../audit-context.js';
import { ExternalIdSchema, MetadataSchema } from '../schemas.js';
import { requireNangoIntegration } from './lookup.js';
import { nangoConnection } from './shapes.js';

const ImportBody = Type.Object(
  {
    connection_id: Type.Optional(ExternalIdSchema),
    provider_config_key: Type.String({ minLength: 1, maxLength: 64 }),
    metadata: Type.Optional(MetadataSchema),
    connection_config: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), { maxProperties: 20 })),
    credentials: Type.Object(
      {
        type: Type.String({ maxLength: 32 }),
        access_token: Type.Optional(Type.String({ maxLength: 8192 })),
        refresh_token: Type.Optional(Type.String({ maxLength: 8192 })),
        expires_at: Type.Optional(Type.Unknown()),
        raw: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      },
      { additionalProperties: true },
    ),
    end_user: Type.Optional(Type.Object({ id: Type.String({ minLength: 1, maxLength: 256 }), email: Type.Optional(Type.String({ maxLength: 320, format: 'email' })) }, { additionalProperties: true })),
    tags: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 256 }))),
  },
  { additionalProperties: true },
);

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 ? value : undefined);

export function nangoImportRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    r.post('/connections', { config: requireScope('connections:write'), schema: { tags: ['nango'], summary: "Nango's connection import (connection_id becomes external_id)", body: ImportBody } }, async (request, reply) => {
      const body = request.body;
      const integration = await requireNangoIntegration(ctx, request, body.provider_config_key);
      const { credentials } = body;
      const raw = credentials.raw ?? {};
      const config = body.connection_config ?? {};
      const problems: FieldProblem[] = [];
      if (credentials.type !== 'OAUTH2') problems.push({ field: 'credentials.type', message: 'Grantkeeper keeps OAuth 2 grants alive: only OAUTH2 is accepted' });
      const refreshToken = text(credentials.refresh_token) ?? text(raw.refresh_token);
      if (!refreshToken) problems.push({ field: 'credentials.refresh_token', message: 'is required: without it there is no grant to keep alive' });
      const endUserId = body.end_user?.id ?? body.tags?.end_user_id ?? body.connection_id;
      if (!endUserId) problems.push({ field: 'end_user', message: 'is required (or tags.end_user_id, or connection_id)' });
      if (problems.length > 0 || !refreshToken || !endUserId) throw invalid(problems);

      // Nango keeps a provider's instance URL (`instance_url`) in connection_config; the rest of it is URL parts.
      // Only the names the provider's URLs take: Nango keeps other things there too.
      const { instance_url: instanceUrl, ...urlParts } = config;
      const variables = ctx.providers.entry(integration.provider)?.template_variables ?? {};
      const connectionConfig = Object.fromEntries(
        Object.entries(urlParts).filter((e): e is [string, string] => typeof e[1] === 'string' && variables[e[0]]?.from === 'connection_config'),
      );
      const accessToken = text(credentials.access_token) ?? text(raw.access_token);
      const givenInstanceUrl = text(instanceUrl) ?? text(raw.instance_url) ?? apiBaseFromRaw(ctx, integration.provider, raw);
      const input: ImportInput = {
        integration: integration.key,
        ...(body.connection_id !== undefined ? { external_id: body.connection_id } : {}),
        end_user: { id: endUserId, email: body.end_user?.email ?? body.tags?.end_user_email ?? null },
        ...(body.metadata ? { metadata: body.metadata } : {}),
        ...(Object.keys(connectionConfig).length > 0 ? { connection_config: connectionConfig } : {}),
        credentials: {
          refresh_token: refreshToken,
          ...(accessToken ? { access_token: accessToken } : {}),
          ...(givenInstanceUrl ? { instance_url: givenInstanceUrl } : {}),
          ...(text(raw.id) ? { id_url: text(raw.id)! } : {}),
          ...(text(raw.issued_at) ? { issued_at: text(raw.issued_at)! } : {}),
        },
      };
      const { row } = await importConnection(ctx, auditOf(request), input);
      // The caller holds the tokens it sent: the answer repeats none.
      return reply.code(201).send(nangoConnection(row, integration, null));
    });
  };
}

/**
 * Nango keeps the whole token response in `raw`: where the catalog names the field carrying a
 * connection's API base (`api_base_from_token`, e.g. `api_domain`), that is the grant's
 * instance URL. Kept only when it passes the same check as a live answer; otherwise the
 * first refresh fills it.
 */
function apiBaseFromRaw(ctx: AppContext, provider: string, raw: Record<string, unknown>): string | undefined {
  const field = ctx.providers.entry(provider)?.api_base_from_token?.field;
  const value = field === undefined ? undefined : text(raw[field]);
  return value !== undefined && ctx.providers.checkImportedInstanceUrl(provider, value).ok ? value : undefined;
}
