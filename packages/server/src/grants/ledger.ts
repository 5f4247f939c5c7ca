// The grant ledger and its per-user guard (docs/design.md "Diagnosis"). Every grant obtained
// is recorded under (provider, client_id, org, user). Some providers keep only a few live
// approvals per user per app (the catalog's max_grants_per_user) and silently revoke one
// when a new one exceeds it: when a new authorization pushes a provider user over the
// limit, the connection whose grant the provider will evict is told now
// (`grant_limit_warning`), instead of learning it from an `invalid_grant` weeks later.
// Runs inside the transaction that stores the grant.
import type { AppContext } from '../context.js';
import { findConnection } from '../db/connections/find-connection.js';
import { insertEvent } from '../db/events/insert-event.js';
import { endGrant, endOtherGrantsOfConnection } from '../db/grant-ledger/end-grant.js';
import { listLiveGrants } from '../db/grant-ledger/list-live-grants.js';
import { recordGrant } from '../db/grant-ledger/record-grant.js';
import type { Executor, IntegrationRow } from '../db/types.js';
import { newRowId, toPublicId } from '../model/ids.js';
import { emitConnectionEvent } from './connection-events.js';

export const EVICTED_BY_LIMIT = 'evicted_by_limit';

export interface GuardedGrant {
  integration: IntegrationRow;
  account: { orgId: string; userId: string };
  /** The connection now holding the grant; null for a grant that is not kept. */
  connectionId: string | null;
  issuedAt: Date;
}

/**
 * Records the grant, marks the grants the provider evicts (oldest first) and warns their
 * connections, then ends the connection's own replaced grants. Returns the ledger row id
 * and the connections warned.
 */
export async function recordGrantWithGuard(ctx: AppContext, trx: Executor, grant: GuardedGrant): Promise<{ ledgerId: string; warned: string[] }> {
  const { integration, account } = grant;
  const key = { provider: integration.provider, clientId: integration.client_id, orgId: account.orgId, userId: account.userId };
  const ledgerId = await recordGrant(trx, { ...key, connectionId: grant.connectionId, issuedAt: grant.issuedAt });
  const now = new Date();
  const warned: string[] = [];
  const limit = ctx.providers.describe(integration.provider)?.grantLimit ?? null;
  // `refused` providers turn the new approval down instead of evicting: nothing to warn about.
  // `least_recently_used` is approximated by age: the ledger does not see the provider's use.
  if (limit && limit.eviction !== 'refused') {
    // Live at the provider at the moment of this approval, including this connection's
    // previous grant (revoked only after the new one is stored).
    const live = await listLiveGrants(trx, key);
    const excess = live.length - limit.limit;
    for (const victim of live.slice(0, Math.max(0, excess))) {
      if (victim.id === ledgerId) continue;
      await endGrant(trx, victim.id, EVICTED_BY_LIMIT, now);
      if (victim.connection_id && victim.connection_id !== grant.connectionId) {
        if (await warnConnection(ctx, trx, integration, victim.connection_id, grant.connectionId, limit.limit)) warned.push(victim.connection_id);
      }
    }
  }
  if (grant.connectionId) await endOtherGrantsOfConnection(trx, grant.connectionId, ledgerId, 'replaced', now);
  return { ledgerId, warned };
}

async function warnConnection(
  ctx: AppContext,
  trx: Executor,
  integration: IntegrationRow,
  connectionId: string,
  newerConnectionId: string | null,
  limit: number,
): Promise<boolean> {
  const row = await findConnection(trx, connectionId);
  if (!row) return false;
  const newer = newerConnectionId ? toPublicId('connection', newerConnectionId) : null;
  await insertEvent(trx, {
    id: newRowId(),
    connection_id: connectionId,
    integration_id: integration.id,
    type: 'grant_limit_warning',
    trigger: 'connect',
    instance_id: ctx.config.instanceId,
    detail: JSON.stringify({ newer_connection_id: newer, limit }),
  });
  await emitConnectionEvent(trx, 'connection.grant_limit_warning', row, integration, { data: { newer_connection_id: newer, limit } });
  return true;
}
