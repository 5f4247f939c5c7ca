// Writing what the counter holds: one upsert per batch of rows, each row's id derived from
// what it counts, so flushes of the same minute (this instance's next one, or another
// instance's) add to one row. Counts a failed statement did not write go back to the counter.
import { sha256Hex } from '../crypto/hashing.js';
import { upsertAuditCounts } from '../db/audit/upsert-audit-counts.js';
import type { Executor } from '../db/types.js';
import type { AuditCounter, CountedEvent } from './counter.js';

/** Rows per statement (11 parameters each, far below PostgreSQL's 65 535). */
const ROWS_PER_STATEMENT = 1000;

/**
 * A uuid-shaped id that every instance derives alike from what the row counts (minute,
 * action, actor, target, address), so their flushes add to one row. Ids, types, addresses
 * and actions hold no newline: the joined text is unambiguous.
 */
function countedRowId(e: CountedEvent): string {
  const h = sha256Hex([e.minute, e.action, e.actor.type, e.actor.id ?? '', e.target?.type ?? '', e.target?.id ?? '', e.ip ?? ''].join('\n'));
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function toRow(event: CountedEvent) {
  return {
    id: countedRowId(event),
    at: new Date(event.minute),
    actor_type: event.actor.type,
    actor_id: event.actor.id,
    actor_name: event.actor.name,
    action: event.action,
    target_type: event.target?.type ?? null,
    target_id: event.target?.id ?? null,
    ip: event.ip,
    count: event.count,
    detail: null,
  };
}

/** Writes every pending count; returns how many rows were written (inserted or added to). */
export async function flushAuditCounts(db: Executor, counter: AuditCounter): Promise<number> {
  const events = counter.take();
  // In id order: instances upserting the same rows at once lock them in one order, never a deadlock.
  const rows = events.map((event) => ({ event, row: toRow(event) })).sort((a, b) => (a.row.id < b.row.id ? -1 : 1));
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    const batch = rows.slice(i, i + ROWS_PER_STATEMENT);
    try {
      await upsertAuditCounts(db, batch.map((r) => r.row));
    } catch (error) {
      counter.restore(rows.slice(i).map((r) => r.event));
      throw error;
    }
  }
  return rows.length;
}
