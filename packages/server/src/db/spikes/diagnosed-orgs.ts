import { sql } from 'kysely';
import type { Executor } from '../types.js';

// Which orgs' grants failed with given diagnoses within the window (the events table, which
// every instance writes): the evidence that one cause spans orgs. A confirming call carries no
// diagnosis, so each failed operation counts once.

const since = (windowS: number) => sql<Date>`now() - ${windowS} * interval '1 second'`;

/** Distinct (integration, org) pairs with a permanent failure diagnosed as one of `codes` in the window. */
export async function orgsDiagnosedInWindow(db: Executor, codes: readonly string[], windowS: number) {
  return db
    .selectFrom('events as e')
    .innerJoin('connections as c', 'c.id', 'e.connection_id')
    .select(['e.integration_id', 'c.org_id'])
    .distinct()
    .where('e.type', '=', 'refresh')
    .where('e.outcome', '=', 'permanent_error')
    .where('e.at', '>', since(windowS))
    .where(sql<string>`e.detail->>'diagnosis'`, 'in', [...codes])
    .where('c.org_id', 'is not', null)
    .execute() as Promise<{ integration_id: string; org_id: string }[]>;
}

/** Whether another org of the integration than `orgId` had such a failure in the window. */
export async function otherOrgDiagnosedInWindow(db: Executor, integrationId: string, orgId: string, codes: readonly string[], windowS: number): Promise<boolean> {
  const row = await db
    .selectFrom('events as e')
    .innerJoin('connections as c', 'c.id', 'e.connection_id')
    .select('e.id')
    .where('e.integration_id', '=', integrationId)
    .where('e.type', '=', 'refresh')
    .where('e.outcome', '=', 'permanent_error')
    .where('e.at', '>', since(windowS))
    .where(sql<string>`e.detail->>'diagnosis'`, 'in', [...codes])
    .where('c.org_id', 'is not', null)
    .where('c.org_id', '<>', orgId)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
