import { sql } from 'kysely';
import type { Executor } from '../types.js';

// Spike evidence comes from the events table, which every instance writes and sees. An
// operation is one refresh: its confirming retry (trigger `retry`) is not counted apart, and
// a permanent answer that was then confirmed counts once, as the retry's outcome. Re-probes
// of grants already dead are not counted at all: their failing again is no news (and a round
// of re-probes of one org's dead grants would otherwise announce the same spike again).

const since = (windowS: number) => sql<Date>`now() - ${windowS} * interval '1 second'`;
const notConfirming = sql<boolean>`coalesce((e.detail->>'confirming')::boolean, false) = false`;

/** Permanent failures in the window, per (integration, org). */
export async function permanentFailureGroups(db: Executor, windowS: number) {
  return db
    .selectFrom('events as e')
    .innerJoin('connections as c', 'c.id', 'e.connection_id')
    .select(['e.integration_id', 'c.org_id', sql<number>`count(*)::int`.as('failures')])
    .where('e.type', '=', 'refresh')
    .where('e.outcome', '=', 'permanent_error')
    .where('e.at', '>', since(windowS))
    .where(notConfirming)
    .where('e.trigger', 'is distinct from', 'reprobe')
    .groupBy(['e.integration_id', 'c.org_id'])
    .execute();
}

/** Refresh operations with an outcome in the window, for an integration (or one org of it). */
export async function countOperations(db: Executor, integrationId: string, orgId: string | null | undefined, windowS: number): Promise<number> {
  let query = db
    .selectFrom('events as e')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('e.integration_id', '=', integrationId)
    .where('e.type', '=', 'refresh')
    .where('e.outcome', '<>', 'in_flight')
    .where('e.trigger', 'not in', ['retry', 'reprobe'])
    .where('e.at', '>', since(windowS));
  if (orgId !== undefined) {
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom('connections as c')
          .select('c.id')
          .whereRef('c.id', '=', 'e.connection_id')
          .where(orgId === null ? sql<boolean>`c.org_id IS NULL` : sql<boolean>`c.org_id = ${orgId}`),
      ),
    );
  }
  const row = await query.executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The failed operations of a group in the window: connection and the diagnosis they got. */
export async function permanentFailures(db: Executor, integrationId: string, orgId: string | null | undefined, windowS: number, limit: number) {
  let query = db
    .selectFrom('events as e')
    .innerJoin('connections as c', 'c.id', 'e.connection_id')
    .select(['e.connection_id', 'c.org_id', sql<string | null>`e.detail->>'diagnosis'`.as('diagnosis')])
    .where('e.integration_id', '=', integrationId)
    .where('e.type', '=', 'refresh')
    .where('e.outcome', '=', 'permanent_error')
    .where('e.at', '>', since(windowS))
    .where(notConfirming)
    .where('e.trigger', 'is distinct from', 'reprobe');
  if (orgId !== undefined) query = query.where(orgId === null ? sql<boolean>`c.org_id IS NULL` : sql<boolean>`c.org_id = ${orgId}`);
  return query.orderBy('e.at', 'desc').limit(limit).execute() as Promise<{ connection_id: string; org_id: string | null; diagnosis: string | null }[]>;
}
