import { sql } from 'kysely';
import type { Executor } from '../types.js';

/** Connections by API status (`integration_error` derived from the integration). */
export async function countConnectionsByStatus(db: Executor): Promise<Record<string, number>> {
  const result = await sql<{ status: string; count: number }>`
    SELECT CASE WHEN i.status = 'error' THEN 'integration_error' ELSE c.status END AS status, count(*)::int AS count
    FROM connections c JOIN integrations i ON i.id = c.integration_id
    GROUP BY 1`.execute(db);
  return Object.fromEntries(result.rows.map((r) => [r.status, Number(r.count)]));
}
