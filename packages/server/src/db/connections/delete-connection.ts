import type { ConnectionRow, Executor } from '../types.js';

export async function deleteConnection(db: Executor, id: string): Promise<ConnectionRow | undefined> {
  return db.deleteFrom('connections').where('id', '=', id).returningAll().executeTakeFirst();
}
