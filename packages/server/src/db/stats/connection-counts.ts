import { sql } from 'kysely';
import type { Executor } from '../types.js';

export interface ConnectionCountRow {
  integration_id: string;
  status: string;
  count: number;
}

/**
 * Connections per (integration, stored status): an index-only scan of
 * connections_integration_status. `integration_error` is derived by the caller from the
 * integration's own status, as everywhere else.
 */
export async function countConnectionsByStatus(db: Executor, integrationId?: string): Promise<ConnectionCountRow[]> {
  const filter = integrationId ? sql`WHERE integration_id = ${integrationId}` : sql``;
  const result = await sql<ConnectionCountRow>`
    SELECT integration_id, status, count(*)::int8 AS count
    FROM connections ${filter}
    GROUP BY 1, 2`.execute(db);
  return result.rows;
}
