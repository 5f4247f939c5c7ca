import { sql } from 'kysely';
import type { Executor } from '../types.js';

/** The integration's connections, their orgs, and the active ones not refreshed (nor authorized) since `staleBefore`. */
export async function connectionFreshness(db: Executor, integrationId: string, staleBefore: Date): Promise<{ total: number; orgs: number; stale: number }> {
  const result = await sql<{ total: number; orgs: number; stale: number }>`
    SELECT count(*)::int AS total,
           count(DISTINCT org_id)::int AS orgs,
           count(*) FILTER (WHERE status = 'active' AND coalesce(last_refreshed_at, authorized_at, created_at) < ${staleBefore})::int AS stale
    FROM connections
    WHERE integration_id = ${integrationId}::uuid`.execute(db);
  const row = result.rows[0];
  return { total: Number(row?.total ?? 0), orgs: Number(row?.orgs ?? 0), stale: Number(row?.stale ?? 0) };
}
