import type { Executor } from '../types.js';
import { daysAgo } from './days-ago.js';

/** Audit rows older than `days` (GRANTKEEPER_AUDIT_RETENTION_DAYS), one batch per call. */
export async function pruneAuditEvents(db: Executor, days: number, batch: number): Promise<number> {
  const result = await db
    .deleteFrom('audit_events')
    .where('id', 'in', (eb) => eb.selectFrom('audit_events').select('id').where('at', '<', daysAgo(days)).limit(batch))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
