// Dead grants that come back without the end user once someone else acts (an org admin, or the
// developer fixing Grantkeeper's egress): the scheduler re-probes them (docs/design.md "States":
// 1 h doubling to 24 h) instead of leaving them for a reconnect.
import type { DiagnosisCode } from '../domain/diagnosis.js';

const ADMIN_FIXABLE: ReadonlySet<DiagnosisCode> = new Set<DiagnosisCode>([
  'user_inactive',
  'org_inactive',
  'ip_restricted',
  'not_approved',
  'org_wide_revocation',
  'app_not_installed',
  'refresh_ip_blocked',
]);

export function isAdminFixable(code: DiagnosisCode): boolean {
  return ADMIN_FIXABLE.has(code);
}
