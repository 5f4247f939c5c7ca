// Evidence → diagnosis: the first rule that matches names the code; the texts table words it.
import type { Diagnosis, DiagnosisTexts } from '../domain/diagnosis.js';
import { describeDiagnosis } from './describe.js';
import { DIAGNOSIS_RULES, type DiagnosisRule } from './rules.js';
import type { DiagnosisEvidence } from './types.js';

// Every classification matches some rule; this only guards a caller's custom rule list.
const FALLBACK: DiagnosisRule = { code: 'unclassified_error', matches: () => true, confidence: () => 'probable' };

export function diagnose(e: DiagnosisEvidence, texts: DiagnosisTexts, rules: readonly DiagnosisRule[] = DIAGNOSIS_RULES): Diagnosis {
  const rule = rules.find((r) => r.matches(e)) ?? FALLBACK;
  return describeDiagnosis(texts, rule.code, e.providerName, rule.confidence(e));
}
