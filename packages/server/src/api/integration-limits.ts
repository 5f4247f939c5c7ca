// A key limited to some integrations (`integrations` on the key) sees nothing of the others:
// their integrations, connections, events, connect sessions, stats and spikes answer exactly
// as if they did not exist (the same 404, the same empty list), so a limited key cannot even
// learn that they exist.
import type { FastifyRequest } from 'fastify';
import { principalOf } from '../auth/principal.js';
import type { AppContext } from '../context.js';
import { findConnectionIntegrationKey } from '../db/connections/find-connection-integration-key.js';
import { findIntegrationById, findIntegrationByKey } from '../db/integrations/find-integration.js';
import { findIntegrationIds } from '../db/integrations/find-integration-ids.js';
import type { ConnectionRow, IntegrationRow } from '../db/types.js';
import { notFound } from '../errors.js';
import { requireConnection } from '../grants/lookup.js';
import { fromPublicId } from '../model/ids.js';

/** Whether the request's key may see the integration with this key. */
export function mayUseIntegration(request: FastifyRequest, integrationKey: string): boolean {
  const allowed = principalOf(request).integrations;
  return allowed === null || allowed.has(integrationKey);
}

/** The 404 of an integration key the request may not see (the one an unknown key gets). */
export function assertIntegrationVisible(request: FastifyRequest, integrationKey: string): void {
  if (!mayUseIntegration(request, integrationKey)) throw notFound(`Integration "${integrationKey}"`);
}

/**
 * The integration row ids a list may show: `'all'`, or exactly these (maybe none). `filter` is
 * a `?integration=` key; an unknown or hidden one shows nothing.
 */
export async function visibleIntegrationIds(ctx: AppContext, request: FastifyRequest, filter?: string): Promise<readonly string[] | 'all'> {
  if (filter !== undefined) {
    if (!mayUseIntegration(request, filter)) return [];
    const row = await findIntegrationByKey(ctx.db.kysely, filter);
    return row ? [row.id] : [];
  }
  const allowed = principalOf(request).integrations;
  return allowed === null ? 'all' : findIntegrationIds(ctx.db.kysely, [...allowed]);
}

/** A connection the request may see, with its integration; otherwise the 404 an unknown id gets. */
export async function requireVisibleConnection(ctx: AppContext, request: FastifyRequest, publicId: string): Promise<{ row: ConnectionRow; integration: IntegrationRow }> {
  const row = await requireConnection(ctx, publicId);
  const integration = await findIntegrationById(ctx.db.kysely, row.integration_id);
  if (!integration || !mayUseIntegration(request, integration.key)) throw notFound(`Connection "${publicId}"`);
  return { row, integration };
}

/**
 * For the token path, which must stay a cache hit: which integration a connection belongs to
 * never changes, so it is remembered (bounded) after one query, and only a limited key asks.
 */
export class ConnectionIntegrations {
  private readonly keys = new Map<string, string>();

  constructor(private readonly ctx: AppContext) {}

  /** The 404 an unknown id gets, unless the request's key may see this connection. */
  async assertVisible(request: FastifyRequest, publicId: string): Promise<void> {
    const allowed = principalOf(request).integrations;
    if (allowed === null) return;
    const id = fromPublicId('connection', publicId);
    const key = id ? await this.integrationKey(id) : undefined;
    if (key === undefined || !allowed.has(key)) throw notFound(`Connection "${publicId}"`);
  }

  private async integrationKey(connectionId: string): Promise<string | undefined> {
    const known = this.keys.get(connectionId);
    if (known !== undefined) return known;
    const key = await findConnectionIntegrationKey(this.ctx.db.kysely, connectionId);
    if (key === undefined) return undefined;
    if (this.keys.size >= Math.max(1, this.ctx.config.cache.maxEntries)) this.keys.delete(this.keys.keys().next().value as string);
    this.keys.set(connectionId, key);
    return key;
  }
}
