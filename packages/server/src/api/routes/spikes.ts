// GET /v1/spikes — failure spikes (docs/design.md "Diagnosis"): `?active=true` for the ones going
// on now, `?integration=` for one integration; the usual list format and cursor.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { requireScope } from '../../auth/scopes.js';
import type { AppContext } from '../../context.js';
import { findIntegrationById } from '../../db/integrations/find-integration.js';
import { encodeCursor } from '../../db/pagination.js';
import { listSpikes, type SpikeRow } from '../../db/spikes/spike-rows.js';
import { toPublicId } from '../../model/ids.js';
import { cursorParam } from '../cursor.js';
import { visibleIntegrationIds } from '../integration-limits.js';
import { PageQuery, SpikeSchema, listOf, problemResponses, type Spike } from '../schemas.js';

function spikeToApi(row: SpikeRow, integrationKey: string, windowS: number): Spike {
  return {
    id: toPublicId('spike', row.id),
    integration: integrationKey,
    org_id: row.org_id,
    active: row.ended_at === null,
    started_at: row.started_at.toISOString(),
    last_seen_at: row.last_seen_at.toISOString(),
    ended_at: row.ended_at?.toISOString() ?? null,
    count: row.count,
    window_s: windowS,
    connection_ids: row.connection_ids.map((id) => toPublicId('connection', id)),
    diagnosis_code: row.diagnosis_code,
  };
}

export function spikeRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    r.get('/v1/spikes', {
      config: requireScope('connections:read'),
      schema: {
        tags: ['spikes'],
        summary: 'List failure spikes',
        querystring: Type.Object(
          {
            ...PageQuery,
            active: Type.Optional(Type.Boolean()),
            integration: Type.Optional(Type.String({ maxLength: 64 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: listOf(SpikeSchema), ...problemResponses },
      },
    }, async (request) => {
      const q = request.query;
      const limit = q.limit ?? 50;
      const cursor = cursorParam(q.cursor);
      const integrationIds = await visibleIntegrationIds(ctx, request, q.integration);
      const rows = await listSpikes(ctx.db.kysely, { active: q.active, integrationIds: integrationIds === 'all' ? undefined : integrationIds }, limit, cursor);
      const page = rows.slice(0, limit);
      const keys = new Map<string, string>();
      for (const id of new Set(page.map((row) => row.integration_id))) {
        keys.set(id, (await findIntegrationById(ctx.db.kysely, id))?.key ?? '');
      }
      const last = page[page.length - 1];
      return {
        data: page.map((row) => spikeToApi(row, keys.get(row.integration_id) ?? '', ctx.config.spikes.windowS)),
        next_cursor: rows.length > limit && last ? encodeCursor({ createdAt: last.started_at, id: last.id }) : null,
      };
    });
  };
}
