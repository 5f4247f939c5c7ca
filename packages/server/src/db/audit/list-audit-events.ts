import type { Selectable } from 'kysely';
import type { Cursor } from '../pagination.js';
import type { AuditEventsTable } from '../schema.js';
import type { Executor } from '../types.js';
import { whereAudit, type AuditFilter } from './audit-filter.js';

export type AuditEventRow = Selectable<AuditEventsTable>;

/** Newest first, keyset-paginated on (at, id); fetches limit + 1 rows (see pagination.ts). */
export async function listAuditEvents(db: Executor, filter: AuditFilter, limit: number, cursor: Cursor | null): Promise<AuditEventRow[]> {
  let query = whereAudit(db.selectFrom('audit_events').selectAll(), filter);
  if (cursor) query = query.where((eb) => eb(eb.refTuple('at', 'id'), '<', eb.tuple(cursor.createdAt, cursor.id)));
  return query.orderBy('at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
}
