// Where a connection's proxied calls go and who may make them: its integration (for the
// key's integration limits, the metrics and the egress) and its API base. Read from the
// database once, then remembered briefly (GRANTKEEPER_CACHE_TTL_MS, bounded like the token
// cache), so a proxied call on a warm connection costs no query — like the token fast path.
import type { AppContext } from '../context.js';
import { findConnection } from '../db/connections/find-connection.js';
import { findIntegrationById } from '../db/integrations/find-integration.js';
import { notFound } from '../errors.js';
import { fromPublicId } from '../model/ids.js';
import { integrationEgressOf } from '../model/integration-egress.js';
import { providerSettingsOf } from '../model/integration-settings.js';
import type { IntegrationEgress } from '../outbound/egress-route.js';

export interface ProxyTarget {
  connectionId: string;
  integrationKey: string;
  provider: string;
  egress: IntegrationEgress;
  /** The API base from the integration or the catalog; null: the grant's instance URL (read with the token). */
  fixedBase: string | null;
}

interface Remembered {
  target: ProxyTarget;
  readAt: number;
}

export class ProxyTargets {
  private readonly entries = new Map<string, Remembered>();

  constructor(private readonly ctx: AppContext) {}

  /** The target of a connection, or the 404 an unknown id gets. */
  async resolve(publicId: string, now = Date.now()): Promise<ProxyTarget> {
    const id = fromPublicId('connection', publicId);
    if (!id) throw notFound(`Connection "${publicId}"`);
    const known = this.entries.get(id);
    if (known && now - known.readAt <= this.ctx.config.cache.ttlMs) return known.target;
    const target = await this.read(id, publicId);
    if (this.entries.size >= Math.max(1, this.ctx.config.cache.maxEntries)) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(id, { target, readAt: now });
    return target;
  }

  private async read(id: string, publicId: string): Promise<ProxyTarget> {
    const { ctx } = this;
    const row = await findConnection(ctx.db.kysely, id);
    const integration = row && (await findIntegrationById(ctx.db.kysely, row.integration_id));
    if (!row || !integration) throw notFound(`Connection "${publicId}"`);
    return {
      connectionId: id,
      integrationKey: integration.key,
      provider: integration.provider,
      egress: integrationEgressOf(ctx.keyring, integration),
      fixedBase: ctx.providers.apiBaseUrl(providerSettingsOf(integration), row.connection_config, null),
    };
  }
}
