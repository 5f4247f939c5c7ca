// Migrations are code (not files found at run time), so the compiled package carries them.
import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import * as initial from './migrations/0001-initial.js';
import * as apiKeys from './migrations/0002-api-keys.js';
import * as auditLog from './migrations/0003-audit-log.js';
import * as retiredGrants from './migrations/0004-retired-grants.js';
import * as outboundProxy from './migrations/0005-outbound-proxy.js';
import * as stagedClientSecrets from './migrations/0006-staged-client-secrets.js';
import * as firstHour from './migrations/0007-first-hour.js';
import * as grantKinds from './migrations/0008-grant-kinds.js';
import * as perf from './migrations/0009-perf.js';
import * as externalId from './migrations/0011-external-id.js';

const migrations: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-api-keys': apiKeys,
  '0003-audit-log': auditLog,
  '0004-retired-grants': retiredGrants,
  '0005-outbound-proxy': outboundProxy,
  '0006-staged-client-secrets': stagedClientSecrets,
  '0007-first-hour': firstHour,
  '0008-grant-kinds': grantKinds,
  '0009-perf': perf,
  '0011-external-id': externalId,
};

class StaticMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations;
  }
}

// Migrations speak SQL, not the typed schema: the handle's schema type does not matter.
export async function migrateToLatest<Schema>(db: Kysely<Schema>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
