import { sql } from 'kysely';
import type { LastError } from '../../domain/grants.js';
import type { Executor, IntegrationRow } from '../types.js';

/** How many of the integration's connections were last refused for its credentials, of how many. */
export async function countIntegrationErrors(db: Executor, integrationId: string): Promise<{ failing: number; total: number }> {
  const row = await db
    .selectFrom('connections')
    .select([
      sql<number>`count(*) FILTER (WHERE integration_error_at IS NOT NULL)::int`.as('failing'),
      sql<number>`count(*)::int`.as('total'),
    ])
    .where('integration_id', '=', integrationId)
    .executeTakeFirstOrThrow();
  return { failing: Number(row.failing), total: Number(row.total) };
}

/** `ok` ↔ `error`, written as a transition (`WHERE status = $from`) so it commits once. */
export async function setIntegrationStatus(
  db: Executor,
  integrationId: string,
  from: 'ok' | 'error',
  to: 'ok' | 'error',
  lastError: LastError | null,
): Promise<IntegrationRow | undefined> {
  return db
    .updateTable('integrations')
    .set({ status: to, last_error: lastError === null ? null : JSON.stringify(lastError), updated_at: sql`now()` })
    .where('id', '=', integrationId)
    .where('status', '=', from)
    .returningAll()
    .executeTakeFirst();
}
