import type { Cursor } from '../pagination.js';
import type { Executor, IntegrationRow } from '../types.js';

export async function listIntegrations(db: Executor, limit: number, after: Cursor | null): Promise<IntegrationRow[]> {
  let query = db.selectFrom('integrations').selectAll();
  if (after) {
    query = query.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(after.createdAt, after.id)));
  }
  return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
}
