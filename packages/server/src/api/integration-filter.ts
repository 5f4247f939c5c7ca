// A list endpoint's `?integration=<key>` filter: the integration's row id, undefined when
// not filtering, or null for an unknown key (the list is then empty, not an error).
import type { AppContext } from '../context.js';
import { findIntegrationByKey } from '../db/integrations/find-integration.js';

export async function integrationFilter(ctx: AppContext, key: string | undefined): Promise<string | null | undefined> {
  if (key === undefined) return undefined;
  return (await findIntegrationByKey(ctx.db.kysely, key))?.id ?? null;
}
