import type { Insertable } from 'kysely';
import type { AuditEventsTable } from '../schema.js';
import type { Executor } from '../types.js';

/** One audit row, on the caller's executor (the transaction of the change it records). */
export async function insertAuditEvent(db: Executor, row: Insertable<AuditEventsTable>): Promise<void> {
  await db.insertInto('audit_events').values(row).execute();
}
