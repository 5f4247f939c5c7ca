import { sql } from 'kysely';
import { HEALTHY_GRANT_COLUMNS, accountColumns } from '../connections/healthy-grant-columns.js';
import type { ConnectionRow, Executor } from '../types.js';

export interface NewGrant {
  accessTokenEnc: string;
  refreshTokenEnc: string;
  refreshTokenFp: string;
  expiresAt: Date;
  /** The new grant's own refresh-token expiry (null: none known — the old one's does not carry over). */
  refreshTokenExpiresAt: Date | null;
  instanceUrl: string | null | undefined;
  idUrl: string | undefined;
  account: { orgId: string; userId: string } | undefined;
  scopes: string[];
  authorizedAt: Date;
  nextRefreshAt: Date;
  endUserEmail: string | null | undefined;
  returnUrl: string | null;
}

/**
 * Puts a freshly authorized grant into an existing connection: compare-and-set on
 * `generation` (never over a grant stored meanwhile), status back to active, failure
 * state and diagnosis cleared. With `respectLease`, not while another holder's refresh
 * lease is live (database time): that refresh, on the old token, could otherwise record
 * its failure over the new grant. The lease itself is left alone.
 */
export async function replaceGrant(
  db: Executor,
  id: string,
  readGeneration: number,
  grant: NewGrant,
  respectLease: boolean,
): Promise<ConnectionRow | undefined> {
  const result = await sql<ConnectionRow>`
    UPDATE connections AS c SET
      access_token_enc = ${grant.accessTokenEnc},
      refresh_token_enc = ${grant.refreshTokenEnc},
      refresh_token_fp = ${grant.refreshTokenFp},
      access_token_expires_at = ${grant.expiresAt},
      refresh_token_expires_at = ${grant.refreshTokenExpiresAt},
      ${accountColumns(grant)},
      scopes = ${JSON.stringify(grant.scopes)},
      end_user_email = ${grant.endUserEmail === undefined ? sql`c.end_user_email` : grant.endUserEmail},
      return_url = ${grant.returnUrl === null ? sql`c.return_url` : grant.returnUrl},
      generation = c.generation + 1,
      authorized_at = ${grant.authorizedAt},
      grant_origin = 'connect',
      ${HEALTHY_GRANT_COLUMNS},
      next_refresh_at = ${grant.nextRefreshAt},
      updated_at = now()
    WHERE c.id = ${id} AND c.generation = ${readGeneration}
      ${respectLease ? sql`AND (c.lease_expires_at IS NULL OR c.lease_expires_at < now())` : sql``}
    RETURNING c.*`.execute(db);
  return result.rows[0];
}
