// The per-provider modules: behaviour a catalog entry's data cannot express.
import { genericModule } from './generic/module.js';
import type { ProviderModule } from './module-types.js';
import { salesforceModule } from './salesforce/module.js';

export type ModuleName = 'salesforce' | 'generic';

const MODULES: Record<ModuleName, ProviderModule> = {
  salesforce: salesforceModule,
  generic: genericModule,
};

/** Which module a provider's entry names (every other provider: the generic one). */
export function moduleFor(providerKey: string): ModuleName {
  return providerKey === 'salesforce' || providerKey === 'salesforce-sandbox' ? 'salesforce' : 'generic';
}

export function providerModule(providerKey: string): ProviderModule {
  return MODULES[moduleFor(providerKey)];
}
