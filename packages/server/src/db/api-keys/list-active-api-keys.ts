import type { Selectable } from 'kysely';
import type { ApiKeysTable } from '../schema.js';
import type { Executor } from '../types.js';

export type ApiKeyRow = Omit<Selectable<ApiKeysTable>, 'revoked_at'>;

const COLUMNS = ['id', 'digest', 'name', 'source', 'scopes', 'integrations', 'expires_at', 'last_used_at', 'created_at'] as const;

/**
 * Every key not revoked (expired ones too: they answer 401 rather than look unknown), newest
 * first. Generated keys stand in for GRANTKEEPER_SECRET_KEY only while it is unset.
 */
export async function listActiveApiKeys(db: Executor, options: { withGenerated: boolean }): Promise<ApiKeyRow[]> {
  let query = db.selectFrom('api_keys').select(COLUMNS).where('revoked_at', 'is', null);
  if (!options.withGenerated) query = query.where('source', '=', 'api');
  return query.orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
}
