import type { Cursor } from '../pagination.js';
import type { Executor, IntegrationRow } from '../types.js';

/** Newest first; `keys`: only these (an API key limited to them). */
export async function listIntegrations(db: Executor, limit: number, after: Cursor | null, keys?: readonly string[]): Promise<IntegrationRow[]> {
  let query = db.selectFrom('integrations').selectAll();
  if (keys) {
    if (keys.length === 0) return [];
    query = query.where('key', 'in', [...keys]);
  }
  if (after) {
    query = query.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(after.createdAt, after.id)));
  }
  return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
}
