// Nango's `POST /connect/sessions` and `POST /connect/sessions/reconnect`, made as
// Grantkeeper connect sessions: the token is a Grantkeeper connect token and `connect_link`
// its hosted page, so the flow that follows is Grantkeeper's own. A Grantkeeper session is
// for one integration: `allowed_integrations` names one (or the key sees only one).
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { principalOf } from '../../auth/principal.js';
import { requireScope } from '../../auth/scopes.js';
import { createConnectSession, type CreatedSession } from '../../connect/sessions.js';
import type { AppContext } from '../../context.js';
import { listIntegrations } from '../../db/integrations/list-integrations.js';
import { invalid } from '../../errors.js';
import { toPublicId } from '../../model/ids.js';
import { auditOf } from '../audit-context.js';
import { requireNangoConnection } from './lookup.js';

const EndUser = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 256 }), email: Type.Optional(Type.String({ maxLength: 320, format: 'email' })) },
  { additionalProperties: true },
);
const Defaults = Type.Optional(Type.Record(Type.String(), Type.Object({ connection_config: Type.Optional(Type.Record(Type.String(), Type.Unknown())) }, { additionalProperties: true })));
const Tags = Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 256 })));

const SessionBody = Type.Object(
  {
    end_user: Type.Optional(EndUser),
    allowed_integrations: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 100 })),
    integrations_config_defaults: Defaults,
    tags: Tags,
  },
  { additionalProperties: true },
);

const ReconnectBody = Type.Object(
  {
    connection_id: Type.String({ minLength: 1, maxLength: 255 }),
    integration_id: Type.String({ minLength: 1, maxLength: 64 }),
    integrations_config_defaults: Defaults,
  },
  { additionalProperties: true },
);

const answer = (s: CreatedSession) => ({ data: { token: s.token, connect_link: s.url, expires_at: s.expires_at } });

/** String values of a Nango `connection_config` default (Grantkeeper's connection_config is strings). */
function stringConfig(config: Record<string, unknown> | undefined): Record<string, string> | undefined {
  if (!config) return undefined;
  const strings = Object.entries(config).filter((e): e is [string, string] => typeof e[1] === 'string');
  return strings.length > 0 ? Object.fromEntries(strings) : undefined;
}

async function oneIntegration(ctx: AppContext, request: FastifyRequest, allowed: string[] | undefined): Promise<string> {
  if (allowed?.length === 1) return allowed[0]!;
  if (allowed === undefined) {
    const visible = principalOf(request).integrations;
    const rows = await listIntegrations(ctx.db.kysely, 2, null, visible ? [...visible] : undefined);
    if (rows.length === 1) return rows[0]!.key;
  }
  throw invalid([{ field: 'allowed_integrations', message: 'a Grantkeeper connect session is for one integration: name exactly one' }]);
}

export function nangoConnectRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();

    r.post('/connect/sessions', { config: requireScope('connections:write'), schema: { tags: ['nango'], summary: "Nango's createConnectSession (a Grantkeeper connect session)", body: SessionBody } }, async (request, reply) => {
      const body = request.body;
      // Nango lets top-level tags stand in for the end user.
      const endUserId = body.end_user?.id ?? body.tags?.end_user_id;
      if (!endUserId) throw invalid([{ field: 'end_user', message: 'is required (or tags.end_user_id)' }]);
      const email = body.end_user?.email ?? body.tags?.end_user_email;
      const integration = await oneIntegration(ctx, request, body.allowed_integrations);
      const connectionConfig = stringConfig(body.integrations_config_defaults?.[integration]?.connection_config);
      const created = await createConnectSession(
        ctx,
        auditOf(request),
        { integration, end_user: { id: endUserId, email: email ?? null }, ...(connectionConfig ? { connection_config: connectionConfig } : {}) },
        principalOf(request).integrations,
      );
      return reply.code(201).header('cache-control', 'no-store').send(answer(created));
    });

    r.post('/connect/sessions/reconnect', { config: requireScope('connections:write'), schema: { tags: ['nango'], summary: "Nango's createReconnectSession", body: ReconnectBody } }, async (request, reply) => {
      const { row, integration } = await requireNangoConnection(ctx, request, request.body.integration_id, request.body.connection_id);
      const created = await createConnectSession(
        ctx,
        auditOf(request),
        { integration: integration.key, end_user: { id: row.end_user_id, email: row.end_user_email }, connection_id: toPublicId('connection', row.id) },
        principalOf(request).integrations,
      );
      return reply.code(201).header('cache-control', 'no-store').send(answer(created));
    });
  };
}
