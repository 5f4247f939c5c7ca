// The per-provider modules: behaviour a catalog entry's data cannot express. Each entry names
// its module (`module` in providers/<key>.json); the custom `oauth2` provider and every entry
// naming none get the generic, RFC 6749-only one.
import { getProvider } from './catalog/catalog.js';
import type { ModuleName, ProviderEntry } from './catalog/schema.js';
import { genericModule } from './generic/module.js';
import type { ProviderModule } from './module-types.js';
import { salesforceModule } from './salesforce/module.js';

const MODULES: Record<ModuleName, ProviderModule> = {
  salesforce: salesforceModule,
  generic: genericModule,
};

/** The module a catalog entry names (none, or no entry at all: the generic one). */
export function moduleFor(entry: Pick<ProviderEntry, 'module'> | undefined): ModuleName {
  return entry?.module ?? 'generic';
}

export function providerModule(providerKey: string): ProviderModule {
  return MODULES[moduleFor(getProvider(providerKey))];
}

/** The modules that offer a readiness report, by name (the CLI's `doctor --<name>` flags). */
export function readinessModules(): { name: ModuleName; title: string }[] {
  return (Object.entries(MODULES) as [ModuleName, ProviderModule][]).flatMap(([name, module]) => (module.readiness ? [{ name, title: module.readiness.title }] : []));
}
