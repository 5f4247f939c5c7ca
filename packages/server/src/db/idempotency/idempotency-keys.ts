import type { Executor } from '../types.js';

export async function findIdempotencyKey(db: Executor, scope: string, key: string) {
  return db.selectFrom('idempotency_keys').selectAll().where('scope', '=', scope).where('key', '=', key).executeTakeFirst();
}

/** Reserves a key; false when another request holds it already (unique constraint). */
export async function reserveIdempotencyKey(db: Executor, row: { id: string; scope: string; key: string; request_hash: string }): Promise<boolean> {
  const inserted = await db
    .insertInto('idempotency_keys')
    .values(row)
    .onConflict((oc) => oc.columns(['scope', 'key']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function completeIdempotencyKey(db: Executor, id: string, statusCode: number, responseEnc: string): Promise<void> {
  await db.updateTable('idempotency_keys').set({ status_code: statusCode, response_enc: responseEnc }).where('id', '=', id).execute();
}

export async function releaseIdempotencyKey(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('idempotency_keys').where('id', '=', id).execute();
}

export async function pruneIdempotencyKeys(db: Executor, olderThan: Date, limit: number): Promise<number> {
  const result = await db
    .deleteFrom('idempotency_keys')
    .where('id', 'in', (eb) => eb.selectFrom('idempotency_keys').select('id').where('created_at', '<', olderThan).limit(limit))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
