// Evidence → diagnosis: the first rule that matches names the code; the texts table words it.
import { DIAGNOSIS_RULES, type DiagnosisRule } from './rules.js';
import { SALESFORCE_DIAGNOSIS_TEXTS } from './texts.js';
import type { Diagnosis, DiagnosisEvidence, DiagnosisTexts } from './types.js';

// Every classification matches some rule; this only guards a caller's custom rule list.
const FALLBACK: DiagnosisRule = { code: 'unclassified_error', matches: () => true, confidence: () => 'probable' };

export function diagnose(
  e: DiagnosisEvidence,
  texts: DiagnosisTexts = SALESFORCE_DIAGNOSIS_TEXTS,
  rules: readonly DiagnosisRule[] = DIAGNOSIS_RULES,
): Diagnosis {
  const rule = rules.find((r) => r.matches(e)) ?? FALLBACK;
  const text = texts[rule.code]({ provider: e.providerName });
  return {
    code: rule.code,
    summary: text.summary,
    causes: [...text.causes],
    fix: [...text.fix],
    who_fixes: text.who_fixes,
    prevention: text.prevention.map((p) => ({ ...p })),
    confidence: rule.confidence(e),
  };
}
