import type { Insertable } from 'kysely';
import type { ConnectSessionsTable } from '../schema.js';
import type { Executor } from '../types.js';

export async function insertConnectSession(db: Executor, row: Insertable<ConnectSessionsTable>): Promise<void> {
  await db.insertInto('connect_sessions').values(row).execute();
}
