// API keys: only their SHA-256 digests are held, and a presented key is compared against
// every digest in constant time — so neither a match position nor a near-miss leaks.
import { timingSafeEqual } from 'node:crypto';
import { sha256Hex } from '../crypto/hashing.js';

export class ApiKeySet {
  private digests: Buffer[] = [];

  constructor(digestsHex: Iterable<string> = []) {
    this.replace(digestsHex);
  }

  static fromPlaintext(keys: Iterable<string>): ApiKeySet {
    return new ApiKeySet([...keys].map(sha256Hex));
  }

  replace(digestsHex: Iterable<string>): void {
    this.digests = [...digestsHex].map((d) => Buffer.from(d, 'hex'));
  }

  add(digestHex: string): void {
    this.digests.push(Buffer.from(digestHex, 'hex'));
  }

  get size(): number {
    return this.digests.length;
  }

  verify(presented: string): boolean {
    const candidate = Buffer.from(sha256Hex(presented), 'hex');
    let match = false;
    // No early exit: the time taken does not depend on which key (if any) matched.
    for (const digest of this.digests) match = timingSafeEqual(candidate, digest) || match;
    return match;
  }
}
