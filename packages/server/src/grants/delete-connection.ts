// Deleting a connection: the row goes, its refresh token's revocation at the provider is
// queued (kept encrypted, re-bound to the revocation row, until the provider confirms or
// the retry window ends), its grants leave the ledger, and `connection.deleted` is emitted.
import { recordAuditEvent } from '../audit/record.js';
import type { AppContext } from '../context.js';
import { deleteConnection as deleteConnectionRow } from '../db/connections/delete-connection.js';
import { findConnection } from '../db/connections/find-connection.js';
import { listConnectionIdsOfIntegration } from '../db/connections/list-connection-ids.js';
import { nextEventSequence } from '../db/connections/next-event-sequence.js';
import { endGrantsOfConnection } from '../db/grant-ledger/end-grants.js';
import { findIntegrationById } from '../db/integrations/find-integration.js';
import { notifyConnectionChanged } from '../db/notify.js';
import type { AuditContext } from '../domain/audit.js';
import { notFound } from '../errors.js';
import { toPublicId } from '../model/ids.js';
import { emitConnectionEvent } from './connection-events.js';
import { requireConnection } from './lookup.js';
import { queueRevocation } from './revocation-queue.js';

/** The generation announced for a deleted connection: higher than any, so every cache drops it. */
const DELETED_GENERATION = Number.MAX_SAFE_INTEGER;

/** `DELETE /v1/connections/{id}`: unknown ids are a 404. */
export async function deleteConnection(ctx: AppContext, audit: AuditContext, publicId: string): Promise<void> {
  const current = await requireConnection(ctx, publicId);
  if (!(await deleteConnectionRowAndGrant(ctx, audit, current.id))) throw notFound(`Connection "${publicId}"`);
}

/** False when the connection or its integration was already gone. */
async function deleteConnectionRowAndGrant(ctx: AppContext, audit: AuditContext, id: string): Promise<boolean> {
  const current = await findConnection(ctx.db.kysely, id);
  const integration = current && (await findIntegrationById(ctx.db.kysely, current.integration_id));
  if (!current || !integration) return false;
  await ctx.db.kysely.transaction().execute(async (trx) => {
    const sequence = await nextEventSequence(trx, current.id);
    const row = await deleteConnectionRow(trx, current.id);
    if (!row) return; // deleted concurrently
    await queueRevocation(ctx, trx, row, integration);
    await endGrantsOfConnection(trx, row.id, 'deleted');
    await emitConnectionEvent(trx, 'connection.deleted', row, integration, { deleted: { sequence } });
    await notifyConnectionChanged(trx, row.id, DELETED_GENERATION);
    await recordAuditEvent(trx, audit, 'connection.deleted', { type: 'connection', id: toPublicId('connection', row.id) });
  });
  ctx.tokenCache.invalidate(current.id);
  return true;
}

/** `DELETE /v1/integrations/{key}?force=true`: every connection, in short transactions of ≤ 500. */
export async function deleteAllConnectionsOfIntegration(ctx: AppContext, audit: AuditContext, integrationId: string): Promise<number> {
  let deleted = 0;
  for (;;) {
    const batch = await listConnectionIdsOfIntegration(ctx.db.kysely, integrationId, 500);
    if (batch.length === 0) return deleted;
    for (const id of batch) if (await deleteConnectionRowAndGrant(ctx, audit, id)) deleted++;
  }
}
