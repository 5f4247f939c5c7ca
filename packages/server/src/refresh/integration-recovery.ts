// A new client secret: the integration's `error` status is cleared (announced as
// `integration.recovered`) and one of its connections is re-probed at once, so a wrong
// secret shows up again quickly instead of at the next scheduled refresh.
import type { AppContext } from '../context.js';
import { clearIntegrationErrorMarks } from '../db/connections/clear-integration-error-marks.js';
import { findReprobeCandidate } from '../db/connections/find-reprobe-candidate.js';
import { setIntegrationStatus } from '../db/refresh/integration-status.js';
import { integrationToApi } from '../model/integrations.js';
import { emitEvent } from '../webhooks/outbox.js';
import type { RefreshEngine } from './engine.js';

export async function afterSecretChange(ctx: AppContext, engine: RefreshEngine, integrationId: string): Promise<void> {
  const probe = await ctx.db.kysely.transaction().execute(async (trx) => {
    const recovered = await setIntegrationStatus(trx, integrationId, 'error', 'ok', null);
    if (recovered) await emitEvent(trx, { type: 'integration.recovered', integrationId, data: { integration: integrationToApi(recovered, ctx.config.publicUrl) } });
    const candidate = await findReprobeCandidate(trx, integrationId);
    await clearIntegrationErrorMarks(trx, integrationId);
    return candidate;
  });
  if (probe) {
    await engine.refreshInBackground(probe.id, 'reprobe').catch((error: unknown) => {
      ctx.log.warn({ err: error }, 're-probe after a client secret change failed');
    });
  }
}
