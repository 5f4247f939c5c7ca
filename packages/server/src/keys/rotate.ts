// `grantkeeper keys rotate`: re-encrypts every secret under the primary key, in batches,
// each row written with compare-and-set so a concurrent refresh is never overwritten with
// an older grant. Refresh-token fingerprints move to the primary key too.
import { cliAudit } from '../audit/actors.js';
import { recordAuditEvent } from '../audit/record.js';
import type { Keyring } from '../crypto/keyring.js';
import { decryptSecret, encryptSecret, keyIdOf } from '../crypto/envelope.js';
import { refreshTokenFingerprint } from '../crypto/hashing.js';
import type { Db } from '../db/open.js';
import { countSecretRows, readSecretBatch, type SecretRow } from '../db/secrets/read-secret-batch.js';
import { SECRET_TABLES, type SecretTable } from '../db/secrets/secret-columns.js';
import { writeReencrypted } from '../db/secrets/write-reencrypted.js';
import { withOfflineDatabase, type OfflineDatabase } from '../db/offline-database.js';
import type { AuditContext } from '../domain/audit.js';

export interface RotationProgress {
  table: string;
  done: number;
  total: number;
  reencrypted: number;
}

export interface RotationResult {
  rows: number;
  reencrypted: number;
  /** Rows re-read because a concurrent writer changed them mid-rotation. */
  raced: number;
}

export async function rotateKeys(
  db: Db,
  keyring: Keyring,
  { audit, batchSize = 200, onProgress }: { audit: AuditContext; batchSize?: number; onProgress?: (p: RotationProgress) => void },
): Promise<RotationResult> {
  const result: RotationResult = { rows: 0, reencrypted: 0, raced: 0 };
  for (const spec of SECRET_TABLES) {
    const total = await countSecretRows(db.kysely, spec);
    let done = 0;
    let reencrypted = 0;
    let afterId: string | null = null;
    for (;;) {
      const batch = await readSecretBatch(db.kysely, spec, afterId, batchSize);
      if (batch.length === 0) break;
      for (const row of batch) {
        const outcome = await rotateRow(db, keyring, spec, row);
        result.raced += outcome.raced;
        if (outcome.changed) reencrypted++;
      }
      done += batch.length;
      afterId = batch[batch.length - 1]!.id;
      onProgress?.({ table: spec.table, done: Math.min(done, Math.max(total, done)), total: Math.max(total, done), reencrypted });
    }
    result.rows += done;
    result.reencrypted += reencrypted;
  }
  // Many short transactions make a rotation, so it is recorded once it completed (with its key id, never the key).
  await recordAuditEvent(db.kysely, audit, 'keys.rotated', { type: 'encryption_key', id: keyring.primary.kid }, { rows: result.rows, reencrypted: result.reencrypted });
  return result;
}

/** `keys rotate` when no server holds the database: opens it here and rotates. */
export async function rotateOffline(where: OfflineDatabase, keyring: Keyring, onProgress?: (p: RotationProgress) => void): Promise<RotationResult> {
  return withOfflineDatabase(where, (db) => rotateKeys(db, keyring, { audit: cliAudit(), onProgress }));
}

async function rotateRow(db: Db, keyring: Keyring, spec: SecretTable, initial: SecretRow): Promise<{ changed: boolean; raced: number }> {
  let row: SecretRow | undefined = initial;
  for (let raced = 0; row; raced++) {
    const updated: Record<string, string> = {};
    const extra: Record<string, string> = {};
    for (const [column, ciphertext] of Object.entries(row.values)) {
      if (ciphertext === null || keyIdOf(ciphertext) === keyring.primary.kid) continue;
      const place = { table: spec.table, column, rowId: row.id };
      const plaintext = decryptSecret(keyring, ciphertext, place);
      updated[column] = encryptSecret(keyring, plaintext, place);
      if (spec.table === 'connections' && column === 'refresh_token_enc') {
        extra.refresh_token_fp = refreshTokenFingerprint(keyring, plaintext);
      }
    }
    if (Object.keys(updated).length === 0) return { changed: false, raced };
    if (await writeReencrypted(db.kysely, spec, row, updated, extra)) return { changed: true, raced };
    // Someone wrote the row meanwhile: read it again (its new values may already use the primary key).
    const again: SecretRow[] = await readSecretBatch(db.kysely, spec, precedingId(row.id), 1);
    row = again[0]?.id === row.id ? again[0] : undefined;
    if (raced > 100) throw new Error(`row ${row?.id} of ${spec.table} keeps changing during key rotation`);
  }
  return { changed: false, raced: 0 };
}

/** The uuid just before `id`, so a batch read "after" it starts at `id` itself. */
function precedingId(id: string): string | null {
  const hex = id.replace(/-/g, '');
  let n = BigInt(`0x${hex}`);
  if (n === 0n) return null;
  n -= 1n;
  const h = n.toString(16).padStart(32, '0');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
