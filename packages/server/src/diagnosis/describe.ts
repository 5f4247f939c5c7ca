// A diagnosis code in words: the provider module's texts for it, with the confidence the
// evidence allows.
import type { Confidence, Diagnosis, DiagnosisCode, DiagnosisTexts } from '../domain/diagnosis.js';

export function describeDiagnosis(texts: DiagnosisTexts, code: DiagnosisCode, providerName: string, confidence: Confidence): Diagnosis {
  const text = texts[code]({ provider: providerName });
  return {
    code,
    summary: text.summary,
    causes: [...text.causes],
    fix: [...text.fix],
    who_fixes: text.who_fixes,
    prevention: text.prevention.map((p) => ({ ...p })),
    confidence,
  };
}
