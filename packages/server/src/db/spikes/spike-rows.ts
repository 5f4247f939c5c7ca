import { sql } from 'kysely';
import type { Selectable } from 'kysely';
import type { Cursor } from '../pagination.js';
import type { SpikesTable } from '../schema.js';
import type { Executor } from '../types.js';

export type SpikeRow = Selectable<SpikesTable>;

/**
 * Opens a spike. At most one is active per (integration, org) — a unique partial index — so
 * when two instances see the same spike, one inserts and the other gets undefined.
 */
export async function openSpike(
  db: Executor,
  spike: { id: string; integrationId: string; orgId: string | null; count: number; connectionIds: string[]; diagnosisCode: string | null },
): Promise<SpikeRow | undefined> {
  const result = await sql<SpikeRow>`
    INSERT INTO spikes (id, integration_id, org_id, started_at, last_seen_at, count, connection_ids, diagnosis_code)
    VALUES (${spike.id}, ${spike.integrationId}, ${spike.orgId}, now(), now(), ${spike.count}, ${JSON.stringify(spike.connectionIds)}::jsonb, ${spike.diagnosisCode})
    ON CONFLICT (integration_id, (coalesce(org_id, ''))) WHERE ended_at IS NULL DO NOTHING
    RETURNING *`.execute(db);
  return result.rows[0];
}

/** Still spiking: refresh its figures. */
export async function touchSpike(db: Executor, id: string, count: number, connectionIds: string[]): Promise<void> {
  await db
    .updateTable('spikes')
    .set({ last_seen_at: sql`now()`, count: sql`GREATEST(count, ${count})`, connection_ids: JSON.stringify(connectionIds) })
    .where('id', '=', id)
    .where('ended_at', 'is', null)
    .execute();
}

/** Spikes not seen for a whole window have subsided. */
export async function endSubsidedSpikes(db: Executor, windowS: number): Promise<number> {
  const result = await db
    .updateTable('spikes')
    .set({ ended_at: sql`now()` })
    .where('ended_at', 'is', null)
    .where('last_seen_at', '<', sql<Date>`now() - ${windowS} * interval '1 second'`)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function activeSpikes(db: Executor): Promise<SpikeRow[]> {
  return db.selectFrom('spikes').selectAll().where('ended_at', 'is', null).execute();
}

/** The active spike of one org of an integration (diagnosis evidence for a failing connection). */
export async function findActiveOrgSpike(db: Executor, integrationId: string, orgId: string): Promise<SpikeRow | undefined> {
  return db
    .selectFrom('spikes')
    .selectAll()
    .where('integration_id', '=', integrationId)
    .where('org_id', '=', orgId)
    .where('ended_at', 'is', null)
    .executeTakeFirst();
}

/** Newest first, keyset-paginated over (started_at, id). */
export async function listSpikes(
  db: Executor,
  filters: { active?: boolean; integrationIds?: readonly string[] },
  limit: number,
  after: Cursor | null,
): Promise<SpikeRow[]> {
  let query = db.selectFrom('spikes').selectAll();
  if (filters.integrationIds) {
    if (filters.integrationIds.length === 0) return [];
    query = query.where('integration_id', 'in', [...filters.integrationIds]);
  }
  if (filters.active === true) query = query.where('ended_at', 'is', null);
  if (filters.active === false) query = query.where('ended_at', 'is not', null);
  if (after) {
    query = query.where((eb) =>
      eb.or([eb('started_at', '<', after.createdAt), eb.and([eb('started_at', '=', after.createdAt), eb('id', '<', after.id)])]),
    );
  }
  return query.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
}
