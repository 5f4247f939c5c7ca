// Nango's `GET /connections`: filters by its names (connectionId, endUserId, integrationId as
// a comma-separated list, search) and `limit`/`page` pagination, answered from Grantkeeper's
// keyset pages (walked in chunks: a deep page costs a walk, never an offset scan in SQL).
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import { findConnection } from '../../db/connections/find-connection.js';
import { listConnections, type ConnectionFilters } from '../../db/connections/list-connections.js';
import { findIntegrationById } from '../../db/integrations/find-integration.js';
import type { Cursor } from '../../db/pagination.js';
import type { ConnectionRow, IntegrationRow } from '../../db/types.js';
import { fromPublicId } from '../../model/ids.js';
import { mayUseIntegration, visibleIntegrationIds } from '../integration-limits.js';
import { nangoConnectionId, nangoConnectionSummary } from './shapes.js';

export interface NangoListQuery {
  connectionId?: string;
  search?: string;
  endUserId?: string;
  integrationId?: string;
  limit?: number;
  page?: number;
}

const CHUNK = 500;
const DEFAULT_LIMIT = 1000;

async function integrationIdsOf(ctx: AppContext, request: FastifyRequest, keys: string | undefined): Promise<readonly string[] | undefined> {
  if (keys === undefined) {
    const visible = await visibleIntegrationIds(ctx, request);
    return visible === 'all' ? undefined : visible;
  }
  const ids: string[] = [];
  for (const key of keys.split(',').map((k) => k.trim()).filter(Boolean)) {
    const [id] = await visibleIntegrationIds(ctx, request, key);
    if (id !== undefined) ids.push(id);
  }
  return ids;
}

export async function listNangoConnections(ctx: AppContext, request: FastifyRequest, query: NangoListQuery) {
  const limit = query.limit ?? DEFAULT_LIMIT;
  const skip = (query.page ?? 0) * limit;
  const integrationIds = await integrationIdsOf(ctx, request, query.integrationId);
  const filters: ConnectionFilters = { integrationIds, endUserId: query.endUserId };
  const search = query.search?.toLowerCase();
  const matches = (row: ConnectionRow) =>
    !search || [nangoConnectionId(row), row.end_user_id, row.end_user_email ?? ''].some((v) => v.toLowerCase().includes(search));

  let rows: ConnectionRow[] = [];
  if (query.connectionId !== undefined) {
    rows = await listConnections(ctx.db.kysely, { ...filters, externalId: query.connectionId }, CHUNK, null);
    // A connection without an external_id is known to Nango clients by its Grantkeeper id.
    const id = fromPublicId('connection', query.connectionId);
    const own = id ? await findConnection(ctx.db.kysely, id) : undefined;
    if (own && own.external_id === null && (!integrationIds || integrationIds.includes(own.integration_id)) && (!query.endUserId || own.end_user_id === query.endUserId)) rows.push(own);
    rows = rows.filter(matches).slice(skip, skip + limit);
  } else {
    let seen = 0;
    let cursor: Cursor | null = null;
    while (rows.length < limit) {
      const chunk = await listConnections(ctx.db.kysely, filters, CHUNK, cursor);
      const page = chunk.slice(0, CHUNK);
      for (const row of page.filter(matches)) {
        if (seen++ >= skip && rows.length < limit) rows.push(row);
      }
      const last = page[page.length - 1];
      if (chunk.length <= CHUNK || !last) break;
      cursor = { createdAt: last.created_at, id: last.id };
    }
  }

  const integrations = new Map<string, IntegrationRow>();
  for (const id of new Set(rows.map((r) => r.integration_id))) {
    const row = await findIntegrationById(ctx.db.kysely, id);
    if (row && mayUseIntegration(request, row.key)) integrations.set(id, row);
  }
  return rows.filter((r) => integrations.has(r.integration_id)).map((r) => nangoConnectionSummary(r, integrations.get(r.integration_id)!));
}
