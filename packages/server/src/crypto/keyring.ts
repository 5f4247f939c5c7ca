// The encryption keyring: `kid:base64key[,kid:base64key…]`. The first key encrypts new
// secrets; every key decrypts. Rolling a key out = add it (not first) everywhere, make it
// first, `grantkeeper keys rotate`, then remove the old one (docs/operations.md).
import { createHmac, hkdfSync, randomBytes } from 'node:crypto';

export interface EncryptionKey {
  kid: string;
  key: Buffer;
}

const KID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

export class KeyringError extends Error {
  override name = 'KeyringError';
}

export class Keyring {
  readonly keys: readonly EncryptionKey[];
  private readonly byKid: ReadonlyMap<string, EncryptionKey>;

  constructor(keys: EncryptionKey[]) {
    if (keys.length === 0) throw new KeyringError('the keyring needs at least one encryption key');
    const seen = new Map<string, EncryptionKey>();
    for (const k of keys) {
      if (!KID_PATTERN.test(k.kid)) throw new KeyringError(`key id "${k.kid}" must match ${KID_PATTERN}`);
      if (k.key.length !== 32) throw new KeyringError(`key "${k.kid}" must be 32 bytes (base64 of 32 random bytes)`);
      if (seen.has(k.kid)) throw new KeyringError(`key id "${k.kid}" appears twice`);
      seen.set(k.kid, k);
    }
    this.keys = keys;
    this.byKid = seen;
  }

  /** Parses `kid:base64key,…`; the message never echoes key material. */
  static parse(spec: string): Keyring {
    const entries = spec.split(',').map((s) => s.trim()).filter(Boolean);
    return new Keyring(
      entries.map((entry, i) => {
        const colon = entry.indexOf(':');
        if (colon <= 0) throw new KeyringError(`encryption key #${i + 1} must look like kid:base64key`);
        const key = Buffer.from(entry.slice(colon + 1), 'base64');
        return { kid: entry.slice(0, colon), key };
      }),
    );
  }

  static generateKey(kid: string): EncryptionKey {
    return { kid, key: randomBytes(32) };
  }

  static format(keys: readonly EncryptionKey[]): string {
    return keys.map((k) => `${k.kid}:${k.key.toString('base64')}`).join(',');
  }

  get primary(): EncryptionKey {
    return this.keys[0]!;
  }

  find(kid: string): EncryptionKey | undefined {
    return this.byKid.get(kid);
  }

  /**
   * A key for another purpose (fingerprints, link signatures), derived from one encryption
   * key so operators manage a single secret. Derived with HKDF, so it reveals nothing of it.
   */
  derive(purpose: string, kid = this.primary.kid): Buffer {
    const base = this.find(kid);
    if (!base) throw new KeyringError(`unknown key id "${kid}"`);
    return Buffer.from(hkdfSync('sha256', base.key, Buffer.alloc(0), `grantkeeper:${purpose}`, 32));
  }

  hmac(purpose: string, message: string, kid = this.primary.kid): Buffer {
    return createHmac('sha256', this.derive(purpose, kid)).update(message).digest();
  }
}
