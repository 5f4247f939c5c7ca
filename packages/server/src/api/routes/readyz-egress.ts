// The egress part of `/readyz`: the instance's own route for everyone (a probe included),
// and the integrations whose route differs only for a caller with an API key (integration
// keys and their proxies are the operator's business, not a probe's).
import type { FastifyRequest } from 'fastify';
import { authenticate } from '../../auth/authenticate.js';
import type { AppContext } from '../../context.js';
import { egressOverrides, type IntegrationEgressView } from '../../model/egress-report.js';
import type { ProviderEgress } from '../../outbound/provider-egress.js';

export async function readyzEgress(
  ctx: AppContext,
  request: FastifyRequest,
  egress: ProviderEgress,
): Promise<ReturnType<ProviderEgress['describeDefault']> & { integrations?: IntegrationEgressView[] }> {
  const own = egress.describeDefault();
  if (request.headers.authorization === undefined) return own;
  try {
    await authenticate(ctx, request);
  } catch {
    return own;
  }
  // A key limited to some integrations sees only those.
  const visible = request.principal?.integrations ?? null;
  const views = await egressOverrides(ctx, egress);
  return { ...own, integrations: visible ? views.filter((v) => visible.has(v.integration)) : views };
}
