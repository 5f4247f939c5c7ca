import { sql } from 'kysely';
import type { Executor } from '../types.js';
import type { SecretTable } from './secret-columns.js';

export interface SecretRow {
  id: string;
  generation: number | null;
  values: Record<string, string | null>;
}

/** The next batch of rows of one table, in id order after `afterId`. */
export async function readSecretBatch(db: Executor, spec: SecretTable, afterId: string | null, limit: number): Promise<SecretRow[]> {
  const columns = sql.join(spec.columns.map((c) => sql.ref(c)));
  const generation = spec.guard === 'generation' ? sql`generation` : sql`NULL::bigint`;
  const result = await sql<Record<string, unknown>>`
    SELECT id, ${generation} AS generation, ${columns}
    FROM ${sql.table(spec.table)}
    WHERE (${afterId}::uuid IS NULL OR id > ${afterId}::uuid)
    ORDER BY id
    LIMIT ${limit}`.execute(db);
  return result.rows.map((row) => ({
    id: String(row.id),
    generation: row.generation === null ? null : Number(row.generation),
    values: Object.fromEntries(spec.columns.map((c) => [c, (row[c] as string | null) ?? null])),
  }));
}

export async function countSecretRows(db: Executor, spec: SecretTable): Promise<number> {
  const result = await sql<{ count: number }>`SELECT count(*)::int AS count FROM ${sql.table(spec.table)}`.execute(db);
  return Number(result.rows[0]?.count ?? 0);
}
