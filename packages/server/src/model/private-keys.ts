// An integration's signing key (JWT Bearer assertions, private_key_jwt client authentication):
// a PKCS#8 PEM checked on the way in, stored encrypted for its row like every secret, and
// shown only as its public half and that half's SHA-256 fingerprint.
import type { CryptoKey } from 'oauth4webapi';
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { importPKCS8 } from 'jose';
import { decryptSecret, encryptSecret } from '../crypto/envelope.js';
import type { Keyring } from '../crypto/keyring.js';
import type { IntegrationRow } from '../db/types.js';
import type { FieldProblem } from '../errors.js';
import { integrationSecretPlace } from './secret-places.js';

/** The one signing algorithm: RS256, the one every RFC 7523 server supports (some accept no other). */
export const SIGNING_ALGORITHM = 'RS256';

const MIN_RSA_BITS = 2048;

export type SealedKey = { ok: true; columns: { private_key_enc: string; public_key_pem: string } } | { ok: false; problem: FieldProblem };

function parsePrivateKey(pem: string): KeyObject | string {
  if (!/^-----BEGIN PRIVATE KEY-----/.test(pem.trim())) {
    return 'must be a PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"); convert an RSA key with `openssl pkcs8 -topk8 -nocrypt`';
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    return 'is not a readable PKCS#8 private key';
  }
  if (key.asymmetricKeyType !== 'rsa') return `must be an RSA key (${SIGNING_ALGORITHM}); got ${key.asymmetricKeyType ?? 'unknown'}`;
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) return `must be at least ${MIN_RSA_BITS} bits; got ${bits}`;
  return key;
}

/** Validates the PEM and encrypts it for the integration's row; the public half goes beside it. */
export function sealPrivateKey(keyring: Keyring, rowId: string, pem: string): SealedKey {
  const key = parsePrivateKey(pem);
  if (typeof key === 'string') return { ok: false, problem: { field: 'private_key', message: key } };
  const publicKeyPem = createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString();
  return { ok: true, columns: { private_key_enc: encryptSecret(keyring, pem.trim(), integrationSecretPlace(rowId, 'private_key_enc')), public_key_pem: publicKeyPem } };
}

/** SHA-256 of the public key's DER (SPKI), as colon-separated hex: what `openssl` and key managers print. */
export function publicKeyFingerprint(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g)!.join(':');
}

/** The integration's private key in plaintext PEM; null when it has none. */
export function privateKeyPemOf(keyring: Keyring, integration: Pick<IntegrationRow, 'id' | 'private_key_enc'>): string | null {
  return integration.private_key_enc ? decryptSecret(keyring, integration.private_key_enc, integrationSecretPlace(integration.id, 'private_key_enc')) : null;
}

/** The same key as a WebCrypto key for signing (jose and oauth4webapi both take one). */
export async function signingKeyOf(keyring: Keyring, integration: Pick<IntegrationRow, 'id' | 'private_key_enc'>): Promise<CryptoKey | null> {
  const pem = privateKeyPemOf(keyring, integration);
  return pem === null ? null : importPKCS8(pem, SIGNING_ALGORITHM);
}
