// Which words explain a provider's failures: Salesforce's texts name Salesforce screens and
// policies, so they are only for providers whose module is Salesforce's; every other
// provider gets the provider-neutral texts. The choice follows the provider module (data in
// providers/), never a list of keys here.
import { moduleFor } from '../providers/registry.js';
import { GENERIC_DIAGNOSIS_TEXTS } from './texts-generic.js';
import { SALESFORCE_DIAGNOSIS_TEXTS } from './texts.js';
import type { DiagnosisTexts } from './types.js';

export function diagnosisTextsFor(providerKey: string): DiagnosisTexts {
  return moduleFor(providerKey) === 'salesforce' ? SALESFORCE_DIAGNOSIS_TEXTS : GENERIC_DIAGNOSIS_TEXTS;
}
