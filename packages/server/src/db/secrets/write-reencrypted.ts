import { sql } from 'kysely';
import type { Executor } from '../types.js';
import type { SecretRow } from './read-secret-batch.js';
import type { SecretTable } from './secret-columns.js';

/**
 * Stores re-encrypted values only if the row is unchanged since it was read. Re-encryption
 * does not change the grant, so `generation` is compared but not bumped.
 * Returns false when a concurrent writer got there first (the caller re-reads that row).
 */
export async function writeReencrypted(
  db: Executor,
  spec: SecretTable,
  row: SecretRow,
  updated: Record<string, string>,
  extra: Record<string, string> = {},
): Promise<boolean> {
  const assignments = Object.entries({ ...updated, ...extra }).map(([c, v]) => sql`${sql.ref(c)} = ${v}`);
  const guards =
    spec.guard === 'generation'
      ? [sql`generation = ${row.generation}`]
      : Object.keys(updated).map((c) => sql`${sql.ref(c)} = ${row.values[c]}`);
  const result = await sql`
    UPDATE ${sql.table(spec.table)} SET ${sql.join(assignments)}
    WHERE id = ${row.id}::uuid AND ${sql.join(guards, sql` AND `)}`.execute(db);
  return Number(result.numAffectedRows ?? 0) === 1;
}
