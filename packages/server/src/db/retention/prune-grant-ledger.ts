import { sql } from 'kysely';
import type { Executor } from '../types.js';

/**
 * Ledger grants that ended `days` ago and that no existing connection can cite as evidence
 * (diagnosis counts the grants of the same provider user issued after a dead connection's
 * latest one and still live when it ended — db/grant-ledger/count-newer-live-grants.ts).
 * Kept: the latest grant of each existing connection, and every grant that outlived such a
 * grant when that one ended first and was issued earlier. Live grants are never pruned
 * (they are the per-user limit guard).
 */
export async function pruneGrantLedger(db: Executor, days: number, batch: number): Promise<number> {
  const result = await sql`
    DELETE FROM grant_ledger WHERE id IN (
      SELECT g.id FROM grant_ledger g
      WHERE NOT g.live
        AND g.ended_at < now() - ${days} * interval '1 day'
        AND NOT EXISTS (
          SELECT 1 FROM connections c
          WHERE c.id = g.connection_id
            AND NOT EXISTS (SELECT 1 FROM grant_ledger n WHERE n.connection_id = g.connection_id AND n.issued_at > g.issued_at))
        AND NOT EXISTS (
          SELECT 1 FROM grant_ledger o JOIN connections c ON c.id = o.connection_id
          WHERE o.provider = g.provider AND o.client_id = g.client_id AND o.org_id = g.org_id AND o.user_id = g.user_id
            AND o.connection_id IS DISTINCT FROM g.connection_id
            AND o.issued_at < g.issued_at
            AND NOT o.live AND o.ended_at < g.ended_at
            AND NOT EXISTS (SELECT 1 FROM grant_ledger n WHERE n.connection_id = o.connection_id AND n.issued_at > o.issued_at))
      LIMIT ${batch})`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
