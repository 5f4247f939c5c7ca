import type { ConnectionRow, Executor } from '../types.js';

export async function findConnection(db: Executor, id: string): Promise<ConnectionRow | undefined> {
  return db.selectFrom('connections').selectAll().where('id', '=', id).executeTakeFirst();
}
