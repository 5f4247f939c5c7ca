// Writing one audit row for a change, on the executor of the change itself: the row exists
// if and only if the change committed. This is the function every room that changes
// something calls (api-key code too: `api_key.created`, `api_key.revoked`).
import { randomUUID } from 'node:crypto';
import { insertAuditEvent } from '../db/audit/insert-audit-event.js';
import type { Executor } from '../db/types.js';
import type { AuditAction, AuditContext, AuditDetail, AuditTarget } from '../domain/audit.js';

export async function recordAuditEvent(
  db: Executor,
  audit: AuditContext,
  action: AuditAction,
  target: AuditTarget | null,
  detail?: AuditDetail,
): Promise<void> {
  await insertAuditEvent(db, {
    id: randomUUID(),
    actor_type: audit.actor.type,
    actor_id: audit.actor.id,
    actor_name: audit.actor.name,
    action,
    target_type: target?.type ?? null,
    target_id: target?.id ?? null,
    ip: audit.ip,
    detail: detail === undefined ? null : JSON.stringify(detail),
  });
}
