import type { Scope } from '../../domain/access.js';
import type { Executor } from '../types.js';

export interface NewApiKeyRow {
  id: string;
  digest: string;
  name: string;
  source: 'generated' | 'api';
  scopes: Scope[];
  integrations: string[] | null;
  expires_at: Date | null;
}

export async function insertApiKey(db: Executor, row: NewApiKeyRow): Promise<{ created_at: Date }> {
  return db
    .insertInto('api_keys')
    .values({ ...row, scopes: JSON.stringify(row.scopes), integrations: row.integrations === null ? null : JSON.stringify(row.integrations) })
    .returning('created_at')
    .executeTakeFirstOrThrow();
}
