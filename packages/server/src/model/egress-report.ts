// Which way each integration's provider calls leave, as `/readyz`, `doctor` and the readiness
// report show it: the instance's default, and every integration whose route differs (its own
// outbound_proxy, or a token host on the exclusion list). Never a credential.
import type { AppContext } from '../context.js';
import { listIntegrations } from '../db/integrations/list-integrations.js';
import type { IntegrationRow } from '../db/types.js';
import type { ProviderEgress } from '../outbound/provider-egress.js';
import { integrationEgressOf } from './integration-egress.js';
import { providerSettingsOf } from './integration-settings.js';

export interface IntegrationEgressView {
  integration: string;
  mode: 'direct' | 'proxy';
  proxy: string | null;
  /** integration: its own outbound_proxy; instance: the instance's proxy; excluded: its host is on the exclusion list; none: no proxy anywhere. */
  source: 'integration' | 'instance' | 'excluded' | 'none';
}

/** Integrations looked at for the report (the list is for operators; more is a paging job). */
const MAX_LISTED = 500;

/** The route of the integration's token endpoint (its other endpoints share the host for every catalog provider). */
export function integrationEgressView(ctx: AppContext, egress: ProviderEgress, integration: IntegrationRow): IntegrationEgressView {
  const own = integrationEgressOf(ctx.keyring, integration);
  let tokenUrl = 'http://unresolved.invalid/';
  try {
    tokenUrl = new URL(ctx.providers.endpoints(providerSettingsOf(integration)).tokenUrl).href;
  } catch {
    // A token URL templated per connection (a shop, a tenant): only the integration's own setting decides.
  }
  return { integration: integration.key, ...egress.describeFor(own, tokenUrl) };
}

export async function egressOverrides(ctx: AppContext, egress: ProviderEgress): Promise<IntegrationEgressView[]> {
  const rows = await listIntegrations(ctx.db.kysely, MAX_LISTED, null);
  return rows
    .slice(0, MAX_LISTED)
    .map((row) => integrationEgressView(ctx, egress, row))
    .filter((view) => view.source === 'integration' || view.source === 'excluded')
    .sort((a, b) => a.integration.localeCompare(b.integration));
}
