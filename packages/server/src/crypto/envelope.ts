// Envelope encryption of secrets at rest: AES-256-GCM, a random 96-bit nonce per value,
// the key id stored beside the ciphertext. The associated data binds a ciphertext to its
// place (`gk1|table|column|row uuid|kid`): copied to another row or column it fails to decrypt.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Keyring } from './keyring.js';

const VERSION = 'gk1';

export interface SecretPlace {
  table: string;
  column: string;
  rowId: string;
}

export class DecryptionError extends Error {
  override name = 'DecryptionError';
}

function associatedData(place: SecretPlace, kid: string): Buffer {
  return Buffer.from(`${VERSION}|${place.table}|${place.column}|${place.rowId}|${kid}`, 'utf8');
}

/** → `gk1:<kid>:<nonce b64>:<ciphertext+tag b64>` */
export function encryptSecret(keyring: Keyring, plaintext: string, place: SecretPlace): string {
  const { kid, key } = keyring.primary;
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(associatedData(place, kid));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${VERSION}:${kid}:${nonce.toString('base64')}:${body.toString('base64')}`;
}

export function keyIdOf(ciphertext: string): string {
  const parts = ciphertext.split(':');
  if (parts.length !== 4 || parts[0] !== VERSION) throw new DecryptionError('not a gk1 ciphertext');
  return parts[1]!;
}

export function decryptSecret(keyring: Keyring, ciphertext: string, place: SecretPlace): string {
  const parts = ciphertext.split(':');
  if (parts.length !== 4 || parts[0] !== VERSION) throw new DecryptionError('not a gk1 ciphertext');
  const [, kid, nonceB64, bodyB64] = parts as [string, string, string, string];
  const key = keyring.find(kid);
  if (!key) throw new DecryptionError(`no encryption key with id "${kid}" is configured`);
  const body = Buffer.from(bodyB64, 'base64');
  if (body.length < 16) throw new DecryptionError('ciphertext too short');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(nonceB64, 'base64'));
    decipher.setAAD(associatedData(place, kid));
    decipher.setAuthTag(body.subarray(body.length - 16));
    return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString('utf8');
  } catch {
    throw new DecryptionError(`secret in ${place.table}.${place.column} does not decrypt (wrong key, row or column)`);
  }
}

/** Re-encrypts under the primary key; returns null when it already is. */
export function reencryptSecret(keyring: Keyring, ciphertext: string, place: SecretPlace): string | null {
  if (keyIdOf(ciphertext) === keyring.primary.kid) return null;
  return encryptSecret(keyring, decryptSecret(keyring, ciphertext, place), place);
}
