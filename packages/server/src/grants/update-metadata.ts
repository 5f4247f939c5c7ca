// `PATCH /v1/connections/{id}`: a connection's metadata replaced, and the change audited in
// the same transaction.
import { recordAuditEvent } from '../audit/record.js';
import type { AppContext } from '../context.js';
import { updateConnectionMetadata } from '../db/connections/update-connection-metadata.js';
import type { ConnectionRow } from '../db/types.js';
import type { AuditContext } from '../domain/audit.js';
import { notFound } from '../errors.js';
import { toPublicId } from '../model/ids.js';
import { requireConnection } from './lookup.js';

export async function replaceConnectionMetadata(
  ctx: AppContext,
  audit: AuditContext,
  publicId: string,
  metadata: Record<string, unknown>,
): Promise<ConnectionRow> {
  const current = await requireConnection(ctx, publicId);
  const row = await ctx.db.kysely.transaction().execute(async (trx) => {
    const updated = await updateConnectionMetadata(trx, current.id, metadata);
    if (updated) await recordAuditEvent(trx, audit, 'connection.updated', { type: 'connection', id: toPublicId('connection', updated.id) }, { fields: ['metadata'] });
    return updated;
  });
  if (!row) throw notFound(`Connection "${publicId}"`);
  return row;
}
