import { moduleFor } from '../registry.js';
import { genericModule } from './generic.js';
import { salesforceModule } from './salesforce.js';
import type { ProviderModule } from './types.js';

const MODULES: Record<ReturnType<typeof moduleFor>, ProviderModule> = {
  salesforce: salesforceModule,
  generic: genericModule,
};

export function providerModule(providerKey: string): ProviderModule {
  return MODULES[moduleFor(providerKey)];
}

export type { GrantUpdate, ProviderModule, TokenResponseContext } from './types.js';
