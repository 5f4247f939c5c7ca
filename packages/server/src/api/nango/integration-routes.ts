// Nango's `GET /integrations` and `GET /integrations/{uniqueKey}`: Grantkeeper's integrations
// by key. `include=credentials` shows the client id and scopes, never the client secret.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { principalOf } from '../../auth/principal.js';
import { requireScope } from '../../auth/scopes.js';
import type { AppContext } from '../../context.js';
import { listIntegrations } from '../../db/integrations/list-integrations.js';
import type { Cursor } from '../../db/pagination.js';
import type { IntegrationRow } from '../../db/types.js';
import { requireNangoIntegration } from './lookup.js';
import { nangoIntegration } from './shapes.js';

const PAGE = 500;

export function nangoIntegrationRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const displayName = (row: IntegrationRow) => ctx.providers.describe(row.provider)?.name ?? row.provider;

    r.get('/integrations', { config: requireScope('connections:read'), schema: { tags: ['nango'], summary: "Nango's listIntegrations" } }, async (request) => {
      const allowed = principalOf(request).integrations;
      const rows: IntegrationRow[] = [];
      let cursor: Cursor | null = null;
      for (;;) {
        const chunk = await listIntegrations(ctx.db.kysely, PAGE, cursor, allowed ? [...allowed] : undefined);
        rows.push(...chunk.slice(0, PAGE));
        const last = rows[rows.length - 1];
        if (chunk.length <= PAGE || !last) break;
        cursor = { createdAt: last.created_at, id: last.id };
      }
      return { data: rows.map((row) => nangoIntegration(row, displayName(row), { credentials: false, webhook: false })) };
    });

    r.get('/integrations/:uniqueKey', {
      config: requireScope('connections:read'),
      schema: {
        tags: ['nango'],
        summary: "Nango's getIntegration (never the client secret)",
        params: Type.Object({ uniqueKey: Type.String({ minLength: 1, maxLength: 64 }) }),
        // The SDK sends one `include=` (the last of its list); others send several or a comma list.
        querystring: Type.Object({ include: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 4 })) }),
      },
    }, async (request) => {
      const row = await requireNangoIntegration(ctx, request, request.params.uniqueKey);
      // `include=webhook,credentials` or `include=webhook&include=credentials`.
      const include = new Set((request.query.include ?? []).flatMap((v) => v.split(',')));
      return { data: nangoIntegration(row, displayName(row), { credentials: include.has('credentials'), webhook: include.has('webhook') }) };
    });
  };
}
