import { createHash, createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';

/**
 * RS256 id_tokens and the JWKS at /id/keys (docs/salesforce.md). The key pair is
 * made on first use so emulators that never see `openid` pay nothing.
 */
export class IdTokenSigner {
  private keys: { privateKey: KeyObject; jwk: Record<string, unknown>; kid: string } | null = null;

  private ensureKeys(): NonNullable<IdTokenSigner['keys']> {
    if (!this.keys) {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const kid = createHash('sha256').update(publicKey.export({ format: 'der', type: 'spki' })).digest('hex').slice(0, 8);
      this.keys = { privateKey, kid, jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' } };
    }
    return this.keys;
  }

  jwks(): { keys: Array<Record<string, unknown>> } {
    return { keys: [this.ensureKeys().jwk] };
  }

  sign(claims: Record<string, unknown>): string {
    const { privateKey, kid } = this.ensureKeys();
    const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
    const input = `${encode({ kid, typ: 'JWT', alg: 'RS256' })}.${encode(claims)}`;
    const signature = createSign('RSA-SHA256').update(input).sign(privateKey).toString('base64url');
    return `${input}.${signature}`;
  }

  /** OIDC at_hash: left half of SHA-256 of the access token, base64url. */
  static accessTokenHash(accessToken: string): string {
    return createHash('sha256').update(accessToken).digest().subarray(0, 16).toString('base64url');
  }
}
