import { describe, expect, test } from 'vitest';
import { ApiKeyStore } from '../src/auth/api-key-store.js';
import { DecryptionError, decryptSecret, encryptSecret, keyIdOf, reencryptSecret } from '../src/crypto/envelope.js';
import { allRefreshTokenFingerprints, refreshTokenFingerprint } from '../src/crypto/hashing.js';
import { Keyring, KeyringError } from '../src/crypto/keyring.js';

const place = { table: 'connections', column: 'refresh_token_enc', rowId: '2f0c7e2a-0000-4000-8000-000000000001' };

describe('envelope encryption', () => {
  const keyring = new Keyring([Keyring.generateKey('k1')]);

  test('round-trips, with a random nonce per value', () => {
    const a = encryptSecret(keyring, 'refresh-token-value', place);
    const b = encryptSecret(keyring, 'refresh-token-value', place);
    expect(a).not.toBe(b);
    expect(a).not.toContain('refresh-token-value');
    expect(keyIdOf(a)).toBe('k1');
    expect(decryptSecret(keyring, a, place)).toBe('refresh-token-value');
  });

  test.each([
    ['another row', { ...place, rowId: '2f0c7e2a-0000-4000-8000-000000000002' }],
    ['another column', { ...place, column: 'access_token_enc' }],
    ['another table', { ...place, table: 'integrations' }],
  ])('a ciphertext moved to %s does not decrypt', (_name, elsewhere) => {
    const ciphertext = encryptSecret(keyring, 'secret', place);
    expect(() => decryptSecret(keyring, ciphertext, elsewhere)).toThrow(DecryptionError);
  });

  test('a tampered ciphertext or a claimed key id does not decrypt', () => {
    const ciphertext = encryptSecret(keyring, 'secret', place);
    const parts = ciphertext.split(':');
    const body = Buffer.from(parts[3]!, 'base64');
    body[0] = body[0]! ^ 1;
    expect(() => decryptSecret(keyring, [...parts.slice(0, 3), body.toString('base64')].join(':'), place)).toThrow(DecryptionError);
    const other = new Keyring([{ kid: 'k1', key: Buffer.alloc(32, 7) }]);
    expect(() => decryptSecret(other, ciphertext, place)).toThrow(DecryptionError);
    expect(() => decryptSecret(keyring, 'plaintext', place)).toThrow(DecryptionError);
  });

  test('rotation: the first key encrypts, all decrypt; re-encryption moves a value to the first key', () => {
    const old = encryptSecret(keyring, 'v', place);
    const rolled = new Keyring([Keyring.generateKey('k2'), ...keyring.keys]);
    expect(decryptSecret(rolled, old, place)).toBe('v');
    const moved = reencryptSecret(rolled, old, place)!;
    expect(keyIdOf(moved)).toBe('k2');
    expect(reencryptSecret(rolled, moved, place)).toBeNull();
    expect(() => decryptSecret(keyring, moved, place)).toThrow(/no encryption key/);
  });

  test('parses and validates key specs without echoing key material', () => {
    const spec = Keyring.format([Keyring.generateKey('a'), Keyring.generateKey('b')]);
    expect(Keyring.parse(spec).keys.map((k) => k.kid)).toEqual(['a', 'b']);
    expect(() => Keyring.parse('a:c2hvcnQ=')).toThrow(/32 bytes/);
    expect(() => Keyring.parse('nokid')).toThrow(KeyringError);
    const secretish = Buffer.alloc(32, 9).toString('base64');
    try {
      Keyring.parse(`bad kid:${secretish}`);
    } catch (error) {
      expect(String(error)).not.toContain(secretish);
    }
    expect(() => Keyring.parse(`a:${secretish},a:${secretish}`)).toThrow(/twice/);
  });
});

describe('fingerprints and API keys', () => {
  test('refresh-token fingerprints are keyed: another keyring gives another value', () => {
    const a = new Keyring([Keyring.generateKey('k1')]);
    const b = new Keyring([Keyring.generateKey('k1')]);
    expect(refreshTokenFingerprint(a, 'rt')).toBe(refreshTokenFingerprint(a, 'rt'));
    expect(refreshTokenFingerprint(a, 'rt')).not.toBe(refreshTokenFingerprint(b, 'rt'));
    expect(refreshTokenFingerprint(a, 'rt')).not.toContain('rt:');
    const rolled = new Keyring([Keyring.generateKey('k2'), ...a.keys]);
    expect(allRefreshTokenFingerprints(rolled, 'rt')).toContain(refreshTokenFingerprint(a, 'rt'));
  });

  test('API keys are found by digest among several, and nothing else is', () => {
    const keys = new ApiKeyStore(['gk_sk_one_aaaaaaaaaaaa', 'gk_sk_two_bbbbbbbbbbbb'], 60_000);
    const one = keys.find('gk_sk_one_aaaaaaaaaaaa');
    const two = keys.find('gk_sk_two_bbbbbbbbbbbb');
    expect(one?.id).toMatch(/^key_[0-9a-f]{32}$/);
    expect(two?.id).toMatch(/^key_[0-9a-f]{32}$/);
    expect(one?.id).not.toBe(two?.id);
    expect(keys.find('gk_sk_one_aaaaaaaaaaab')).toBeUndefined();
    expect(keys.find('')).toBeUndefined();
    expect(new ApiKeyStore([], 60_000).find('anything')).toBeUndefined();
  });
});
