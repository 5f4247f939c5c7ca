// IP refusals across orgs (docs/api.md, `refresh_ip_blocked`): one org refusing
// Grantkeeper's address is that org's policy (`ip_restricted`, its admin acts); two or more orgs
// of one integration refusing within the spike window point at Grantkeeper's egress (the app's
// refresh-token IP allowlist, or a changed outbound address; the developer acts). The first org's
// dead grants were explained before the second org refused: this pass, run with the spike
// detector, explains them again and announces each change once.
import type { AppContext } from '../context.js';
import { deadConnectionsDiagnosed } from '../db/spikes/dead-by-diagnosis.js';
import { orgsDiagnosedInWindow } from '../db/spikes/diagnosed-orgs.js';
import { findIntegrationById } from '../db/integrations/find-integration.js';
import { IP_REFUSAL_CODES, rediagnoseStoredFailure } from './evidence.js';
import { announceNewDiagnosis } from './replace-diagnosis.js';

/** Dead grants re-explained per pass and integration at most (the next pass takes the rest). */
const BATCH = 500;

/** Returns how many dead grants changed from `ip_restricted` to `refresh_ip_blocked`. */
export async function rediagnoseIpBlocked(ctx: AppContext): Promise<number> {
  const orgsByIntegration = new Map<string, Set<string>>();
  for (const row of await orgsDiagnosedInWindow(ctx.db.kysely, IP_REFUSAL_CODES, ctx.config.spikes.windowS)) {
    const orgs = orgsByIntegration.get(row.integration_id) ?? new Set<string>();
    orgs.add(row.org_id);
    orgsByIntegration.set(row.integration_id, orgs);
  }
  let changed = 0;
  for (const [integrationId, orgs] of orgsByIntegration) {
    if (orgs.size < 2) continue;
    const integration = await findIntegrationById(ctx.db.kysely, integrationId);
    if (!integration) continue;
    for (const row of await deadConnectionsDiagnosed(ctx.db.kysely, integrationId, 'ip_restricted', [...orgs], BATCH)) {
      const previous = row.diagnosis;
      const next = rediagnoseStoredFailure(ctx, row, integration, { orgSpike: null, ipRestrictedElsewhere: true });
      if (previous && next && (await announceNewDiagnosis(ctx, row, integration, previous, next))) changed++;
    }
  }
  return changed;
}
