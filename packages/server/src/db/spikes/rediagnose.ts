import { sql } from 'kysely';
import type { ConnectionRow, Executor } from '../types.js';

/** Dead connections of a spike whose diagnosis may need revisiting. */
export async function deadConnectionsIn(db: Executor, ids: string[]): Promise<ConnectionRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('connections').selectAll().where('id', 'in', ids).where('status', '=', 'needs_reauth').execute();
}

/**
 * Replaces a dead grant's diagnosis, compare-and-set on the code it had (so two instances
 * revisiting the same connection change it once). A re-probe is scheduled if none was.
 */
export async function replaceDiagnosis(
  db: Executor,
  id: string,
  previousCode: string,
  diagnosis: unknown,
  reprobeAt: Date | null,
): Promise<ConnectionRow | undefined> {
  return db
    .updateTable('connections')
    .set({
      diagnosis: JSON.stringify(diagnosis),
      ...(reprobeAt ? { next_refresh_at: sql`coalesce(next_refresh_at, ${reprobeAt})` } : {}),
      updated_at: sql`now()`,
    })
    .where('id', '=', id)
    .where('status', '=', 'needs_reauth')
    .where(sql<boolean>`diagnosis->>'code' = ${previousCode}`)
    .returningAll()
    .executeTakeFirst();
}
