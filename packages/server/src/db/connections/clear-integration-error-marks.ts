import type { Executor } from '../types.js';

/** New credentials: the integration's connections are no longer held back by the old ones' failures. */
export async function clearIntegrationErrorMarks(db: Executor, integrationId: string): Promise<void> {
  await db
    .updateTable('connections')
    .set({ integration_error_at: null, backoff_until: null })
    .where('integration_id', '=', integrationId)
    .where('integration_error_at', 'is not', null)
    .execute();
}
