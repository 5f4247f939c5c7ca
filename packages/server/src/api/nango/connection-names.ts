// Nango's proxy names the connection on every call (`Provider-Config-Key`, `Connection-Id`);
// resolving that name costs two queries, ten times what the rest of a proxied call adds. So a
// resolved name is remembered briefly (GRANTKEEPER_CACHE_TTL_MS, at most
// GRANTKEEPER_CACHE_MAX_ENTRIES names; 0 remembers none), like the proxy's own targets: a
// deleted or re-imported connection is seen within that time. Only the name is remembered,
// never a permission — the key's integration limits are checked on every call.
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import { toPublicId } from '../../model/ids.js';
import { mayUseIntegration } from '../integration-limits.js';
import { requireNangoConnection } from './lookup.js';

interface Remembered {
  publicId: string;
  readAt: number;
}

export class NangoConnectionNames {
  private readonly entries = new Map<string, Remembered>();

  constructor(private readonly ctx: AppContext) {}

  /** The public id of the connection Nango's names point at, or the error getConnection would give. */
  async publicIdOf(request: FastifyRequest, providerConfigKey: string, connectionId: string, now = Date.now()): Promise<string> {
    const { ttlMs, maxEntries } = this.ctx.config.cache;
    const name = `${providerConfigKey}\n${connectionId}`; // a header value holds no newline
    const known = this.entries.get(name);
    if (known && now - known.readAt <= ttlMs && mayUseIntegration(request, providerConfigKey)) return known.publicId;
    const { row } = await requireNangoConnection(this.ctx, request, providerConfigKey, connectionId);
    const publicId = toPublicId('connection', row.id);
    if (maxEntries > 0) {
      this.entries.delete(name);
      if (this.entries.size >= maxEntries) this.entries.delete(this.entries.keys().next().value as string);
      this.entries.set(name, { publicId, readAt: now });
    }
    return publicId;
  }
}
