// webhook_endpoints: where events go. Secrets are stored encrypted (crypto/envelope.ts),
// bound to their row and column.
import { sql, type Insertable, type Selectable, type Updateable } from 'kysely';
import type { Cursor } from '../pagination.js';
import type { WebhookEndpointsTable } from '../schema.js';
import type { Executor } from '../types.js';

export type WebhookEndpointRow = Selectable<WebhookEndpointsTable>;

export async function insertEndpoint(db: Executor, row: Insertable<WebhookEndpointsTable>): Promise<WebhookEndpointRow> {
  // Millisecond created_at: list cursors carry a JS Date (see fan-out-outbox.ts).
  return db
    .insertInto('webhook_endpoints')
    .values({ ...row, created_at: sql<Date>`date_trunc('milliseconds', now())` })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findEndpoint(db: Executor, id: string): Promise<WebhookEndpointRow | undefined> {
  return db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Newest first, keyset-paginated; fetches limit + 1 rows (see pagination.ts). */
export async function listEndpoints(db: Executor, limit: number, cursor: Cursor | null): Promise<WebhookEndpointRow[]> {
  let query = db.selectFrom('webhook_endpoints').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1);
  if (cursor) query = query.where(sql<boolean>`(created_at, id) < (${cursor.createdAt}, ${cursor.id})`);
  return query.execute();
}

export async function updateEndpoint(
  db: Executor,
  id: string,
  changes: Updateable<WebhookEndpointsTable>,
): Promise<WebhookEndpointRow | undefined> {
  return db
    .updateTable('webhook_endpoints')
    .set({ ...changes, updated_at: sql`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

/**
 * The current secret becomes the previous one until `overlapS` from now. Compare-and-set on
 * the secret read before: of two concurrent rotations one wins, none loses a secret.
 */
export async function rotateEndpointSecret(db: Executor, id: string, expectedSecretEnc: string, secretEnc: string, previousSecretEnc: string, overlapS: number) {
  return db
    .updateTable('webhook_endpoints')
    .set({
      secret_enc: secretEnc,
      previous_secret_enc: previousSecretEnc,
      previous_secret_expires_at: sql`now() + ${overlapS} * interval '1 second'`,
      updated_at: sql`now()`,
    })
    .where('id', '=', id)
    .where('secret_enc', '=', expectedSecretEnc)
    .returningAll()
    .executeTakeFirst();
}

/** A 410 Gone: stop sending there (only if still enabled, so the first reason sticks). */
export async function disableEndpoint(db: Executor, id: string, reason: string): Promise<void> {
  await db
    .updateTable('webhook_endpoints')
    .set({ enabled: false, disabled_reason: reason, updated_at: sql`now()` })
    .where('id', '=', id)
    .where('enabled', '=', true)
    .execute();
}

export async function deleteEndpoint(db: Executor, id: string): Promise<boolean> {
  const result = await db.deleteFrom('webhook_endpoints').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
