import { loadConfig } from '../config.js';
import { withOfflineDatabase } from '../db/offline-database.js';

export async function runMigrate(args: string[]): Promise<number> {
  if (args.includes('--help')) {
    process.stdout.write('Usage: grantkeeper migrate\n\nApplies pending database migrations to GRANTKEEPER_DATABASE_URL (or the embedded database) and exits.\n');
    return 0;
  }
  const config = loadConfig();
  const applied = await withOfflineDatabase(config, async (_db, migrations) => migrations);
  process.stdout.write(applied.length ? `Applied: ${applied.join(', ')}\n` : 'The database is up to date.\n');
  return 0;
}
