// An audit row as the API, the NDJSON export and the dashboard show it.
import type { AuditEventRow } from '../db/audit/list-audit-events.js';
import { toPublicId } from './ids.js';

export function auditEventToApi(row: AuditEventRow) {
  return {
    id: toPublicId('auditEvent', row.id),
    at: row.at.toISOString(),
    actor: { type: row.actor_type, id: row.actor_id, name: row.actor_name },
    action: row.action,
    target: row.target_type !== null && row.target_id !== null ? { type: row.target_type, id: row.target_id } : null,
    ip: row.ip,
    count: row.count,
    detail: row.detail,
  };
}
