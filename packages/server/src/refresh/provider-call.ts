// One call to the token endpoint (docs/design.md "The refresh algorithm", step 5): the intent event
// is written before the request, so a crash after the provider answered leaves evidence.
import type { AppContext } from '../context.js';
import { writeIntent } from '../db/refresh/intent.js';
import type { ConnectionRow, IntegrationRow } from '../db/types.js';
import { newRowId } from '../model/ids.js';
import type { OAuthClient } from '../oauth/client.js';
import type { Mint } from './grant-kinds/types.js';
import type { ProviderCall } from './types.js';

export async function callTokenEndpoint(
  ctx: AppContext,
  input: { row: ConnectionRow; integration: IntegrationRow; client: OAuthClient; mint: Mint; params: Record<string, string>; trigger: string },
): Promise<ProviderCall> {
  const { row, integration } = input;
  const eventId = newRowId();
  await writeIntent(ctx.db.kysely, { eventId, connectionId: row.id, integrationId: integration.id, trigger: input.trigger, instanceId: ctx.config.instanceId });
  ctx.log.debug({ connection: row.id, event: eventId }, 'refresh sent');
  const started = performance.now();
  const outcome = await input.mint.request(input.client, input.params);
  const durationMs = Math.round(performance.now() - started);
  ctx.metrics.refreshDuration.observe({ integration: integration.key, provider: integration.provider }, durationMs / 1000);
  return { outcome, eventId, durationMs, trigger: input.trigger };
}

/** `grantkeeper_refresh_total`: one count per provider answer, the confirming retry included. */
export function countRefresh(ctx: AppContext, integration: IntegrationRow, trigger: string, outcome: string, error: string | null): void {
  ctx.metrics.refreshes.inc({ integration: integration.key, provider: integration.provider, trigger, outcome, error: error ?? '' });
}
