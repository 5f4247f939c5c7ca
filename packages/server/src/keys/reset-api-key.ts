// `grantkeeper keys reset-api-key`: the embedded database keeps its generated API keys as
// rows (digests only). A reset revokes them all and stores one new admin key's digest in the
// same transaction; the key itself is returned once and kept nowhere. Dashboard sessions made
// with a revoked key end with it; keys made through the API are left alone.
import { randomToken, sha256Hex } from '../crypto/hashing.js';
import { insertApiKey } from '../db/api-keys/insert-api-key.js';
import { revokeGeneratedApiKeys } from '../db/api-keys/revoke-generated-api-keys.js';
import { newRowId } from '../model/ids.js';
import { withOfflineDatabase } from '../db/offline-database.js';

export async function resetEmbeddedApiKey(dataDir: string): Promise<{ key: string; revoked: number }> {
  const key = randomToken('gk_sk_');
  const revoked = await withOfflineDatabase({ databaseUrl: null, dataDir }, (db) =>
    db.kysely.transaction().execute(async (trx) => {
      const n = await revokeGeneratedApiKeys(trx);
      await insertApiKey(trx, {
        id: newRowId(), digest: sha256Hex(key), name: 'grantkeeper keys reset-api-key', source: 'generated', scopes: ['admin'], integrations: null, expires_at: null,
      });
      return n;
    }),
  );
  return { key, revoked };
}
