import type { Executor } from '../types.js';

/** The columns the token path needs, with the integration's status: one indexed read, no write. */
export async function readTokenState(db: Executor, id: string) {
  return db
    .selectFrom('connections as c')
    .innerJoin('integrations as i', 'i.id', 'c.integration_id')
    .select([
      'c.id',
      'c.integration_id',
      'c.status',
      'c.generation',
      'c.access_token_enc',
      'c.access_token_expires_at',
      'c.instance_url',
      'c.backoff_until',
      'i.status as integration_status',
      'i.key as integration_key',
      'i.refresh as integration_refresh',
    ])
    .where('c.id', '=', id)
    .executeTakeFirst();
}

