import { readFileSync } from 'node:fs';
import { createApp, createOrg, createUser, InputError } from './admin.js';
import type { EmulatorContext } from './context.js';

/**
 * Seed files: the world an emulator starts with (and returns to on reset). The
 * entries use the control API's shapes (snake_case; camelCase also accepted):
 * { "orgs": [...], "apps": [...], "users": [...], "settings": { "auto_approve": true } }
 */
export interface EmulatorSeed {
  orgs?: Array<Record<string, unknown>>;
  apps?: Array<Record<string, unknown>>;
  users?: Array<Record<string, unknown>>;
  settings?: { auto_approve?: boolean; autoApprove?: boolean };
}

export function loadSeedFile(path: string): EmulatorSeed {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InputError(`cannot read seed ${path}: ${(error as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InputError(`seed ${path} must be a JSON object`);
  return parsed as EmulatorSeed;
}

export function applySeed(ctx: EmulatorContext, seed: EmulatorSeed): void {
  const list = (value: unknown, name: string): Array<Record<string, unknown>> => {
    if (value === undefined) return [];
    if (!Array.isArray(value)) throw new InputError(`seed.${name} must be an array`);
    return value as Array<Record<string, unknown>>;
  };
  for (const org of list(seed.orgs, 'orgs')) createOrg(ctx, org);
  for (const app of list(seed.apps, 'apps')) createApp(ctx, app);
  for (const user of list(seed.users, 'users')) createUser(ctx, user);
  const autoApprove = seed.settings?.auto_approve ?? seed.settings?.autoApprove;
  if (typeof autoApprove === 'boolean') ctx.settings.autoApprove = autoApprove;
}
