// The diagnosis room: a provider failure plus the connection's history → why the grant died and who acts.
export type {
  Confidence,
  Diagnosis,
  DiagnosisCode,
  DiagnosisEvidence,
  DiagnosisText,
  DiagnosisTexts,
  PreventionStep,
  TextContext,
  WhoFixes,
} from './types.js';
export { diagnose } from './diagnose.js';
export { DIAGNOSIS_RULES, type DiagnosisRule } from './rules.js';
export { SALESFORCE_DIAGNOSIS_TEXTS } from './texts.js';
export { isAdminFixable } from './admin-fixable.js';
export { describeLastError, truncateUtf8, LAST_ERROR_FIELD_MAX_BYTES, type LastError } from './last-error.js';
