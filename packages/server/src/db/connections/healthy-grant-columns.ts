import { sql } from 'kysely';

/**
 * The assignments that mark a connection's stored grant as working again: status active and
 * every failure, diagnosis and evidence column cleared. Shared by a successful refresh and
 * by a re-authorization, which must leave the same state behind.
 */
export const HEALTHY_GRANT_COLUMNS = sql`
      status = 'active',
      consecutive_failures = 0,
      last_error = NULL,
      diagnosis = NULL,
      backoff_until = NULL,
      reprobe_attempts = 0,
      outcome_unknown_at = NULL,
      integration_error_at = NULL`;

/** The account columns a token response may update (undefined: keep the stored value). */
export function accountColumns(grant: {
  instanceUrl: string | null | undefined;
  idUrl: string | undefined;
  account: { orgId: string; userId: string } | undefined;
}) {
  return sql`
      instance_url = ${grant.instanceUrl === undefined ? sql`c.instance_url` : grant.instanceUrl},
      id_url = ${grant.idUrl === undefined ? sql`c.id_url` : grant.idUrl},
      org_id = ${grant.account === undefined ? sql`c.org_id` : grant.account.orgId},
      user_id = ${grant.account === undefined ? sql`c.user_id` : grant.account.userId}`;
}
