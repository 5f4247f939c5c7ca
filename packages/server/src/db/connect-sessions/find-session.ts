import type { Selectable } from 'kysely';
import type { ConnectSessionsTable } from '../schema.js';
import type { Executor } from '../types.js';

export type ConnectSessionRow = Selectable<ConnectSessionsTable>;

/** By the hash of the connect token (the token itself is never stored). */
export async function findSessionByTokenHash(db: Executor, tokenHash: string): Promise<ConnectSessionRow | undefined> {
  return db.selectFrom('connect_sessions').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

/** By the hash of the OAuth `state` of its flow. */
export async function findSessionByStateHash(db: Executor, stateHash: string): Promise<ConnectSessionRow | undefined> {
  return db.selectFrom('connect_sessions').selectAll().where('state_hash', '=', stateHash).executeTakeFirst();
}
