// `grantkeeper keys reset-api-key`: the embedded database keeps its generated API keys as
// rows (digests only). A reset revokes them all and stores one new key's digest in the same
// transaction; the key itself is returned once and kept nowhere.
import { randomToken, sha256Hex } from '../crypto/hashing.js';
import { insertApiKey, revokeAllApiKeys } from '../db/api-keys/api-keys.js';
import { newRowId } from '../model/ids.js';
import { withOfflineDatabase } from '../db/offline-database.js';

export async function resetEmbeddedApiKey(dataDir: string): Promise<{ key: string; revoked: number }> {
  const key = randomToken('gk_sk_');
  const revoked = await withOfflineDatabase({ databaseUrl: null, dataDir }, (db) =>
    db.kysely.transaction().execute(async (trx) => {
      const n = await revokeAllApiKeys(trx);
      await insertApiKey(trx, { id: newRowId(), digest: sha256Hex(key), label: 'grantkeeper keys reset-api-key' });
      return n;
    }),
  );
  return { key, revoked };
}
