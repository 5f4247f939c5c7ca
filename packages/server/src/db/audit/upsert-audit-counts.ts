import type { Insertable } from 'kysely';
import type { AuditEventsTable } from '../schema.js';
import type { Executor } from '../types.js';

/**
 * Counted rows in one statement. Their id is derived from (minute, action, actor, target,
 * address), so a later flush — of this instance or another — adds to the same row.
 * The rows of one call must have distinct ids (one statement cannot update a row twice).
 */
export async function upsertAuditCounts(db: Executor, rows: Insertable<AuditEventsTable>[]): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto('audit_events')
    .values(rows)
    .onConflict((oc) => oc.column('id').doUpdateSet((eb) => ({ count: eb('audit_events.count', '+', eb.ref('excluded.count')) })))
    .execute();
}
