// GET /v1/integrations/{key}/readiness — the integration's readiness report against its
// provider's own requirements, for providers whose module offers one (404 otherwise).
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { requireScope } from '../../auth/scopes.js';
import type { AppContext } from '../../context.js';
import { readinessReport } from '../../diagnosis/readiness.js';
import { integrationEgressView } from '../../model/egress-report.js';
import { getIntegration } from '../../model/integrations.js';
import type { ProviderEgress } from '../../outbound/provider-egress.js';
import { assertIntegrationVisible } from '../integration-limits.js';
import { problemResponses } from '../schemas.js';

const ReadinessCheckSchema = Type.Object({
  id: Type.String(),
  title: Type.String(),
  status: Type.Union([Type.Literal('pass'), Type.Literal('warn'), Type.Literal('fail')]),
  detail: Type.String(),
  fix: Type.Union([Type.String(), Type.Null()]),
});

const ReadinessReportSchema = Type.Object({
  integration: Type.String(),
  provider: Type.String(),
  module: Type.String(),
  title: Type.String(),
  window_days: Type.Integer(),
  summary: Type.Object({ pass: Type.Integer(), warn: Type.Integer(), fail: Type.Integer() }),
  checks: Type.Array(ReadinessCheckSchema),
});

export function readinessRoutes(ctx: AppContext, egress: ProviderEgress): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    r.get('/v1/integrations/:key/readiness', {
      config: requireScope('connections:read'),
      schema: {
        tags: ['integrations'],
        summary: "Readiness report against the provider's requirements",
        description: 'One line per requirement, pass/warn/fail with the fix, from the stored refresh history of the last `window_days` (default 30). 404 for providers that offer no report.',
        params: Type.Object({ key: Type.String({ maxLength: 64 }) }),
        querystring: Type.Object({ window_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 365 })) }, { additionalProperties: false }),
        response: { 200: ReadinessReportSchema, ...problemResponses },
      },
    }, async (request) => {
      // A key limited to other integrations learns nothing of this one (not even that it exists).
      assertIntegrationVisible(request, request.params.key);
      const integration = await getIntegration(ctx, request.params.key);
      return readinessReport(ctx, integration, integrationEgressView(ctx, egress, integration), request.query.window_days ?? 30);
    });
  };
}
