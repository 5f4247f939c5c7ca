import { sql } from 'kysely';
import type { Cursor } from '../pagination.js';
import type { ConnectionRow, Executor } from '../types.js';

export interface ConnectionFilters {
  /** Only connections of these integrations (none: no rows). */
  integrationIds?: readonly string[];
  /** `integration_error` is derived from the integration's status, so it filters on the join. */
  status?: 'active' | 'refresh_failing' | 'needs_reauth' | 'integration_error';
  endUserId?: string;
  orgId?: string;
  /** The code of the connection's current diagnosis (index connections_diagnosis_code). */
  diagnosisCode?: string;
  /** The id another system knows the connection by (index connections_external_id_any). */
  externalId?: string;
}

export async function listConnections(
  db: Executor,
  filters: ConnectionFilters,
  limit: number,
  after: Cursor | null,
): Promise<ConnectionRow[]> {
  let query = db.selectFrom('connections as c').selectAll('c');
  if (filters.integrationIds) {
    if (filters.integrationIds.length === 0) return [];
    query = query.where('c.integration_id', 'in', [...filters.integrationIds]);
  }
  if (filters.endUserId) query = query.where('c.end_user_id', '=', filters.endUserId);
  if (filters.externalId) query = query.where('c.external_id', '=', filters.externalId);
  if (filters.orgId) query = query.where('c.org_id', '=', filters.orgId);
  if (filters.diagnosisCode) {
    query = query.where('c.diagnosis', 'is not', null).where(sql<string>`c.diagnosis->>'code'`, '=', filters.diagnosisCode);
  }
  if (filters.status) {
    const wantsIntegrationError = filters.status === 'integration_error';
    const integrationStatus = wantsIntegrationError ? 'error' : 'ok';
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom('integrations as i')
          .select('i.id')
          .whereRef('i.id', '=', 'c.integration_id')
          .where('i.status', '=', integrationStatus),
      ),
    );
    if (filters.status !== 'integration_error') query = query.where('c.status', '=', filters.status);
  }
  if (after) {
    // A row comparison, so PostgreSQL seeks the (created_at, id) index however deep the page.
    query = query.where((eb) => eb(eb.refTuple('c.created_at', 'c.id'), '<', eb.tuple(after.createdAt, after.id)));
  }
  return query.orderBy('c.created_at', 'desc').orderBy('c.id', 'desc').limit(limit + 1).execute();
}
