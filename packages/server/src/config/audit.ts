// The audit log's settings (API "Audit log", docs/audit-log.md).
import type { EnvReader } from './env-reader.js';

export interface AuditConfig {
  /** How often counted actions (token reads, proxy calls, wrong keys) are written as rows. */
  flushMs: number;
  /** Audit rows older than this are pruned by the retention worker. */
  retentionDays: number;
}

export function readAuditConfig(r: EnvReader): AuditConfig {
  return {
    flushMs: r.int('AUDIT_FLUSH_MS', 5_000, { min: 1, max: 3_600_000 }),
    retentionDays: r.int('AUDIT_RETENTION_DAYS', 365, { min: 1 }),
  };
}
