import { sql } from 'kysely';
import { HEALTHY_GRANT_COLUMNS, accountColumns } from '../connections/healthy-grant-columns.js';
import type { ConnectionRow, Executor } from '../types.js';

export interface RefreshedGrant {
  accessTokenEnc: string;
  /** Only when the provider sent a new refresh token (rotation); otherwise the stored one stays. */
  refreshTokenEnc: string | null;
  refreshTokenFp: string | null;
  expiresAt: Date;
  instanceUrl: string | null | undefined;
  idUrl: string | undefined;
  account: { orgId: string; userId: string } | undefined;
  scopes: string[] | undefined;
  nextRefreshAt: Date | null;
  /** When the refresh token dies regardless of use; undefined: leave as stored. */
  refreshTokenExpiresAt?: Date | null;
}

/**
 * The compare-and-set UPDATE that stores a refreshed grant (shared with the one-statement
 * commit, `store-refresh.ts`): it can never overwrite a newer grant, and never be lost to an
 * older one. Clears failure state, the lease and the intent in the same statement, and
 * returns the previous status too (for `recovered`).
 */
export function refreshedGrantUpdate(id: string, readGeneration: number, grant: RefreshedGrant) {
  const rotated = grant.refreshTokenEnc !== null;
  return sql<ConnectionRow & { previous_status: string }>`
    UPDATE connections AS c SET
      access_token_enc = ${grant.accessTokenEnc},
      refresh_token_enc = ${rotated ? grant.refreshTokenEnc : sql`c.refresh_token_enc`},
      refresh_token_fp = ${rotated ? grant.refreshTokenFp : sql`c.refresh_token_fp`},
      last_rotation_at = ${rotated ? sql`now()` : sql`c.last_rotation_at`},
      refresh_token_expires_at = ${grant.refreshTokenExpiresAt === undefined ? sql`c.refresh_token_expires_at` : grant.refreshTokenExpiresAt},
      access_token_expires_at = ${grant.expiresAt},
      ${accountColumns(grant)},
      scopes = ${grant.scopes === undefined ? sql`c.scopes` : JSON.stringify(grant.scopes)},
      generation = c.generation + 1,
      last_refreshed_at = now(),
      ${HEALTHY_GRANT_COLUMNS},
      lease_owner = NULL,
      lease_expires_at = NULL,
      refresh_intent_id = NULL,
      next_refresh_at = ${grant.nextRefreshAt},
      updated_at = now()
    FROM (SELECT id, status FROM connections WHERE id = ${id} FOR UPDATE) AS old
    WHERE c.id = old.id AND c.generation = ${readGeneration}
    RETURNING c.*, old.status AS previous_status`;
}

/** Stores a refreshed grant (compare-and-set on `generation`); undefined when a newer one is stored. */
export async function commitRefresh(
  db: Executor,
  id: string,
  readGeneration: number,
  grant: RefreshedGrant,
): Promise<(ConnectionRow & { previous_status: string }) | undefined> {
  const result = await refreshedGrantUpdate(id, readGeneration, grant).execute(db);
  return result.rows[0];
}
