// Liveness, readiness and Prometheus metrics (no API key: probes and scrapers call them;
// /metrics wants GRANTKEEPER_METRICS_TOKEN when it is set).
import type { FastifyPluginAsync } from 'fastify';
import { metricsScrapeAllowed } from '../../auth/metrics-token.js';
import type { AppContext } from '../../context.js';
import { pingDatabase } from '../../db/health/ping.js';
import { unauthorized } from '../../errors.js';
import type { ProviderEgress } from '../../outbound/provider-egress.js';
import { readyzEgress } from './readyz-egress.js';

export function operationsRoutes(ctx: AppContext, egress: ProviderEgress): FastifyPluginAsync {
  return async (app) => {
    app.get('/healthz', { schema: { tags: ['operations'], summary: 'The process is up', hide: false } }, async () => ({ status: 'ok' }));

    app.get('/readyz', { schema: { tags: ['operations'], summary: 'The database is reachable; which egress provider calls use' } }, async (request, reply) => {
      const warnings: string[] = [];
      if (ctx.devKeysInUse) {
        warnings.push('Using generated development encryption keys stored beside the data (keys.json); set GRANTKEEPER_ENCRYPTION_KEYS in production.');
      }
      try {
        await pingDatabase(ctx.db.kysely);
        return { status: 'ready', database: ctx.db.kind, warnings, egress: await readyzEgress(ctx, request, egress) };
      } catch {
        return reply.code(503).send({ status: 'unavailable', database: ctx.db.kind, warnings: [...warnings, 'database unreachable'], egress: egress.describeDefault() });
      }
    });

    app.get('/metrics', { schema: { tags: ['operations'], summary: 'Prometheus metrics (Bearer GRANTKEEPER_METRICS_TOKEN when set)' } }, async (request, reply) => {
      if (!metricsScrapeAllowed(ctx.config.hardening.metricsToken, request.headers.authorization)) {
        reply.header('www-authenticate', 'Bearer realm="metrics"');
        throw unauthorized('This server protects /metrics: send Authorization: Bearer <GRANTKEEPER_METRICS_TOKEN>.');
      }
      const body = await ctx.metrics.registry.metrics();
      return reply.type(ctx.metrics.registry.contentType).send(body);
    });
  };
}
