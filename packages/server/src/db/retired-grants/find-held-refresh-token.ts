import { sql } from 'kysely';
import type { Executor } from '../types.js';

export interface HeldRefreshToken {
  /** `current`: a connection holds it now; `retired`: a connection held it and let go of it. */
  heldAs: 'current' | 'retired';
  connectionId: string;
}

/**
 * Whether this server holds or held a refresh token, matched by any of its keyed
 * fingerprints. One statement, so a rotation committing meanwhile cannot hide the token
 * between the two tables (it leaves one in the same transaction it enters the other).
 */
export async function findHeldRefreshToken(db: Executor, fingerprints: string[]): Promise<HeldRefreshToken | undefined> {
  if (fingerprints.length === 0) return undefined;
  const result = await sql<{ held_as: 'current' | 'retired'; connection_id: string }>`
    SELECT held_as, connection_id FROM (
      SELECT 'current' AS held_as, id AS connection_id FROM connections WHERE refresh_token_fp IN (${sql.join(fingerprints)})
      UNION ALL
      SELECT 'retired' AS held_as, connection_id FROM retired_grants WHERE fingerprint IN (${sql.join(fingerprints)})
    ) AS held
    ORDER BY held_as
    LIMIT 1`.execute(db);
  const row = result.rows[0];
  return row && { heldAs: row.held_as, connectionId: row.connection_id };
}
