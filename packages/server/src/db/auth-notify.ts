import { sql } from 'kysely';
import type { Executor } from './types.js';

/**
 * Tells every instance (on commit) that something authentication reads from memory changed:
 * `keys` (an API key was created or revoked: re-read them), `session:<digest>:<expires ms>`
 * (a dashboard logout), `blocked:<until ms>:<client>` (a client reached the wrong-key limit).
 */
export const AUTH_CHANNEL = 'grantkeeper_auth_changed';

export async function notifyAuthChanged(db: Executor, payload: string): Promise<void> {
  await sql`SELECT pg_notify(${AUTH_CHANNEL}, ${payload})`.execute(db);
}
