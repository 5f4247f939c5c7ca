import type { Executor } from '../types.js';
import { whereAudit, type AuditFilter } from './audit-filter.js';
import type { AuditEventRow } from './list-audit-events.js';

/** One batch of the NDJSON export: oldest first, after the last row of the previous batch. */
export async function readAuditExportBatch(
  db: Executor,
  filter: AuditFilter,
  size: number,
  after: { at: Date; id: string } | null,
): Promise<AuditEventRow[]> {
  let query = whereAudit(db.selectFrom('audit_events').selectAll(), filter);
  if (after) query = query.where((eb) => eb(eb.refTuple('at', 'id'), '>', eb.tuple(after.at, after.id)));
  return query.orderBy('at', 'asc').orderBy('id', 'asc').limit(size).execute();
}
