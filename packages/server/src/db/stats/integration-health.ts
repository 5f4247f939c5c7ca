import type { LastError } from '../../domain/grants.js';
import type { Executor } from '../types.js';

export interface IntegrationHealthRow {
  id: string;
  key: string;
  provider: string;
  status: 'ok' | 'error';
  last_error: LastError | null;
}

/** Every integration's health fields, by key (integrations are few: one per OAuth app). */
export async function listIntegrationHealth(db: Executor): Promise<IntegrationHealthRow[]> {
  return db
    .selectFrom('integrations')
    .select(['id', 'key', 'provider', 'status', 'last_error'])
    .orderBy('key')
    .execute() as Promise<IntegrationHealthRow[]>;
}
