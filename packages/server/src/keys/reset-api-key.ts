// `grantkeeper keys reset-api-key`: the embedded database keeps its generated API keys as
// rows (digests only). A reset revokes them all and stores one new admin key's digest in the
// same transaction; the key itself is returned once and kept nowhere. Dashboard sessions made
// with a revoked key end with it; keys made through the API are left alone. Both changes are
// audited as the CLI's, in the same transaction.
import { cliAudit } from '../audit/actors.js';
import { recordAuditEvent } from '../audit/record.js';
import { randomToken, sha256Hex } from '../crypto/hashing.js';
import { insertApiKey } from '../db/api-keys/insert-api-key.js';
import { revokeGeneratedApiKeys } from '../db/api-keys/revoke-generated-api-keys.js';
import { newRowId, toPublicId } from '../model/ids.js';
import { withOfflineDatabase } from '../db/offline-database.js';

export async function resetEmbeddedApiKey(dataDir: string): Promise<{ key: string; revoked: number }> {
  const key = randomToken('gk_sk_');
  const revoked = await withOfflineDatabase({ databaseUrl: null, dataDir }, (db) =>
    db.kysely.transaction().execute(async (trx) => {
      const audit = cliAudit();
      const revokedIds = await revokeGeneratedApiKeys(trx);
      for (const id of revokedIds) await recordAuditEvent(trx, audit, 'api_key.revoked', { type: 'api_key', id: toPublicId('apiKey', id) });
      const id = newRowId();
      await insertApiKey(trx, {
        id, digest: sha256Hex(key), name: 'grantkeeper keys reset-api-key', source: 'generated', scopes: ['admin'], integrations: null, expires_at: null,
      });
      await recordAuditEvent(trx, audit, 'api_key.created', { type: 'api_key', id: toPublicId('apiKey', id) });
      return revokedIds.length;
    }),
  );
  return { key, revoked };
}
