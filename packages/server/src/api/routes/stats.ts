// The dashboard's data (issue #7): refresh outcomes over time from the per-minute rollup,
// connection counts by status, and a fresh reconnect link for one connection.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { requireScope } from '../../auth/scopes.js';
import type { AppContext } from '../../context.js';
import { findIntegrationByKey } from '../../db/integrations/find-integration.js';
import { countConnectionsByStatus } from '../../db/stats/connection-counts.js';
import { listIntegrationHealth } from '../../db/stats/integration-health.js';
import { refreshOutcomeCounts, type StatsBucket } from '../../db/stats/refresh-series.js';
import { toPublicId } from '../../model/ids.js';
import { reconnectUrl } from '../../model/reconnect-link.js';
import { invalid, notFound } from '../../errors.js';
import { assertIntegrationVisible, requireVisibleConnection, visibleIntegrationIds } from '../integration-limits.js';
import { parseInstant } from '../instant.js';
import { ConnectionCountsSchema, RefreshSeriesSchema, ReconnectLinkSchema, problemResponses } from '../schemas.js';

/** A range may produce at most this many buckets (a week of minutes is 10 080: use hours). */
const MAX_BUCKETS = 2000;
const OUTCOMES = ['success', 'transient_error', 'permanent_error', 'unknown'] as const;
const CONNECTION_STATUSES = ['active', 'refresh_failing', 'needs_reauth', 'integration_error'] as const;
const BUCKET_MS: Record<StatsBucket, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

type StatusCountMap = Record<(typeof CONNECTION_STATUSES)[number], number>;
const isOutcome = (value: string): value is (typeof OUTCOMES)[number] => OUTCOMES.some((o) => o === value);
const isConnectionStatus = (value: string): value is keyof StatusCountMap => CONNECTION_STATUSES.some((s) => s === value);
const zeroStatusCounts = (): StatusCountMap => ({ active: 0, refresh_failing: 0, needs_reauth: 0, integration_error: 0 });

export function statsRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();

    /** The integrations to count: the `?integration=` one (404 if unknown or hidden), else all the key may see. */
    const integrationIdsOf = async (request: FastifyRequest, key: string | undefined): Promise<readonly string[] | 'all'> => {
      if (key === undefined) return visibleIntegrationIds(ctx, request);
      assertIntegrationVisible(request, key);
      const row = await findIntegrationByKey(ctx.db.kysely, key);
      if (!row) throw notFound(`Integration "${key}"`);
      return [row.id];
    };

    r.get('/v1/stats/refreshes', {
      config: requireScope('connections:read'),
      schema: {
        tags: ['operations'],
        summary: 'Refresh outcomes per time bucket',
        description:
          'Counts by outcome per bucket (zero-filled), read from the per-minute rollup. `from`/`to` default to the last 24 hours; `from` is rounded down to its bucket. At most 2000 buckets per request.',
        querystring: Type.Object(
          {
            integration: Type.Optional(Type.String({ maxLength: 64 })),
            from: Type.Optional(Type.String({ maxLength: 40 })),
            to: Type.Optional(Type.String({ maxLength: 40 })),
            bucket: Type.Optional(Type.Union([Type.Literal('minute'), Type.Literal('hour'), Type.Literal('day')])),
          },
          { additionalProperties: false },
        ),
        response: { 200: RefreshSeriesSchema, ...problemResponses },
      },
    }, async (request) => {
      const q = request.query;
      const bucket: StatsBucket = q.bucket ?? 'hour';
      const step = BUCKET_MS[bucket];
      const errors: { field: string; message: string }[] = [];
      const to = q.to === undefined ? new Date() : parseInstant(q.to);
      if (!to) errors.push({ field: 'querystring.to', message: 'must be an RFC 3339 timestamp with an offset, e.g. 2026-01-01T00:00:00Z' });
      const from = q.from === undefined ? (to ? new Date(to.getTime() - 86_400_000) : null) : parseInstant(q.from);
      if (!from && q.from !== undefined) errors.push({ field: 'querystring.from', message: 'must be an RFC 3339 timestamp with an offset, e.g. 2026-01-01T00:00:00Z' });
      if (errors.length > 0) throw invalid(errors);
      if (from!.getTime() >= to!.getTime()) throw invalid([{ field: 'querystring.from', message: 'must be before to' }]);
      // Buckets are aligned to UTC boundaries; `to` is exclusive.
      const start = Math.floor(from!.getTime() / step) * step;
      const end = to!.getTime();
      const count = Math.ceil((end - start) / step);
      if (count > MAX_BUCKETS) {
        throw invalid(
          [{ field: 'querystring.bucket', message: `the range holds ${count} ${bucket} buckets; at most ${MAX_BUCKETS}: use a larger bucket or a shorter range` }],
          'The range produces too many buckets.',
        );
      }
      const integrationIds = await integrationIdsOf(request, q.integration);
      const rows = await refreshOutcomeCounts(ctx.db.kysely, { from: new Date(start), to: new Date(end), bucket, integrationIds: integrationIds === 'all' ? undefined : integrationIds });
      const series = Array.from({ length: count }, (_, i) => ({
        at: new Date(start + i * step).toISOString(),
        success: 0,
        transient_error: 0,
        permanent_error: 0,
        unknown: 0,
      }));
      const totals = { success: 0, transient_error: 0, permanent_error: 0, unknown: 0 };
      for (const row of rows) {
        const index = Math.round((new Date(row.at).getTime() - start) / step);
        const point = series[index];
        const outcome = row.outcome;
        // Rows of an outcome the chart does not know (none today) are left out, not a 500.
        if (!point || !isOutcome(outcome)) continue;
        point[outcome] += Number(row.count);
        totals[outcome] += Number(row.count);
      }
      return { integration: q.integration ?? null, bucket, from: new Date(start).toISOString(), to: new Date(end).toISOString(), totals, series };
    });

    r.get('/v1/stats/connections', {
      config: requireScope('connections:read'),
      schema: {
        tags: ['operations'],
        summary: 'Connections by status, per integration',
        description: 'Counts by status (integration_error derived from the integration), with each integration\'s health.',
        querystring: Type.Object({ integration: Type.Optional(Type.String({ maxLength: 64 })) }, { additionalProperties: false }),
        response: { 200: ConnectionCountsSchema, ...problemResponses },
      },
    }, async (request) => {
      const ids = await integrationIdsOf(request, request.query.integration);
      const visible = (id: string) => ids === 'all' || ids.includes(id);
      const integrationId = ids !== 'all' && ids.length === 1 ? ids[0] : undefined;
      const [allHealth, allRows] = await Promise.all([listIntegrationHealth(ctx.db.kysely), countConnectionsByStatus(ctx.db.kysely, integrationId)]);
      const health = allHealth.filter((h) => visible(h.id));
      const rows = allRows.filter((row) => visible(row.integration_id));
      const perIntegration = new Map<string, StatusCountMap>();
      const healthById = new Map(health.map((h) => [h.id, h]));
      for (const row of rows) {
        const integration = healthById.get(row.integration_id);
        if (!integration) continue; // deleted meanwhile
        const counts = perIntegration.get(row.integration_id) ?? zeroStatusCounts();
        const status = integration.status === 'error' ? 'integration_error' : row.status;
        if (isConnectionStatus(status)) counts[status] += Number(row.count);
        perIntegration.set(row.integration_id, counts);
      }
      const counts = zeroStatusCounts();
      const integrations = health
        .map((h) => {
          const c = perIntegration.get(h.id) ?? zeroStatusCounts();
          for (const s of CONNECTION_STATUSES) counts[s] += c[s];
          return {
            integration: h.key,
            provider: h.provider,
            status: h.status,
            last_error: h.last_error ?? null,
            counts: c,
            total: CONNECTION_STATUSES.reduce((sum, s) => sum + c[s], 0),
          };
        });
      return { counts, total: CONNECTION_STATUSES.reduce((sum, s) => sum + counts[s], 0), integrations };
    });

    r.post('/v1/connections/:id/reconnect-link', {
      config: requireScope('connections:write'),
      schema: {
        tags: ['connections'],
        summary: 'A fresh signed re-authentication link for a connection',
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
        response: { 200: ReconnectLinkSchema, ...problemResponses },
      },
    }, async (request) => {
      const { row } = await requireVisibleConnection(ctx, request, request.params.id);
      const now = Date.now();
      const ttlS = ctx.config.connect.reconnectLinkTtlS;
      const url = reconnectUrl(ctx.config.publicUrl, ctx.keyring, toPublicId('connection', row.id), ttlS, now);
      return { url, expires_at: new Date((Math.floor(now / 1000) + ttlS) * 1000).toISOString() };
    });
  };
}
