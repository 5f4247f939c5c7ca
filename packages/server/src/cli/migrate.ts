import { loadConfig } from '../config.js';
import { migrateToLatest } from '../db/migrator.js';
import { openDatabase } from '../db/open.js';

export async function runMigrate(args: string[]): Promise<number> {
  if (args.includes('--help')) {
    process.stdout.write('Usage: grantkeeper migrate\n\nApplies pending database migrations to GRANTKEEPER_DATABASE_URL (or the embedded database) and exits.\n');
    return 0;
  }
  const config = loadConfig();
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    const applied = await migrateToLatest(db.kysely);
    process.stdout.write(applied.length ? `Applied: ${applied.join(', ')}\n` : 'The database is up to date.\n');
    return 0;
  } finally {
    await db.close();
    db.lock?.release();
  }
}
