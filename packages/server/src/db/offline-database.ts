// Commands that run without a server (migrate, the key commands) open the database
// themselves, bring it to the latest schema, and close it (releasing the embedded data-dir
// lock) whatever happens.
import { migrateToLatest } from './migrator.js';
import { openDatabase, type Db } from './open.js';

export interface OfflineDatabase {
  databaseUrl: string | null;
  dataDir: string;
}

/** `work` gets the open database and the migrations this opening applied. */
export async function withOfflineDatabase<T>(where: OfflineDatabase, work: (db: Db, applied: string[]) => Promise<T>): Promise<T> {
  const db = await openDatabase({ databaseUrl: where.databaseUrl, dataDir: where.dataDir });
  try {
    const applied = await migrateToLatest(db.kysely);
    return await work(db, applied);
  } finally {
    await db.close();
    db.lock?.release();
  }
}
