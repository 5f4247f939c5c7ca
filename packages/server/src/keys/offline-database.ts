// The key commands run without a server: they open the database themselves, bring it to the
// latest schema, and close it (releasing the embedded data-dir lock) whatever happens.
import { migrateToLatest } from '../db/migrator.js';
import { openDatabase, type Db } from '../db/open.js';

export interface OfflineDatabase {
  databaseUrl: string | null;
  dataDir: string;
}

export async function withOfflineDatabase<T>(where: OfflineDatabase, work: (db: Db) => Promise<T>): Promise<T> {
  const db = await openDatabase({ databaseUrl: where.databaseUrl, dataDir: where.dataDir });
  try {
    await migrateToLatest(db.kysely);
    return await work(db);
  } finally {
    await db.close();
    db.lock?.release();
  }
}
