import { createPublicKey, verify, X509Certificate, type KeyObject } from 'node:crypto';

/**
 * Reading a JWT Bearer assertion the way Salesforce does (docs/salesforce.md "Server-to-server
 * grants"): an RS256 JWS checked against the certificate uploaded to the app. A certificate
 * outside its validity dates does not verify [INF]. The emulator is the server side here,
 * so it verifies with node:crypto; Grantkeeper signs with jose.
 */

export interface AssertionClaims {
  iss?: unknown;
  sub?: unknown;
  aud?: unknown;
  exp?: unknown;
}

export type ReadAssertion = { ok: true; claims: AssertionClaims } | { ok: false; reason: 'malformed' | 'signature' | 'certificate_expired' };

function publicKeyOf(pem: string, nowMs: number): KeyObject | 'expired' | null {
  try {
    if (pem.includes('BEGIN CERTIFICATE')) {
      const certificate = new X509Certificate(pem);
      if (nowMs < Date.parse(certificate.validFrom) || nowMs > Date.parse(certificate.validTo)) return 'expired';
      return certificate.publicKey;
    }
    return createPublicKey(pem);
  } catch {
    return null;
  }
}

/** Whether a PEM is a certificate or public key node:crypto can read (any date). */
export function readablePublicKey(pem: string): boolean {
  return publicKeyOf(pem, Number.NaN) !== null;
}

function decodeJson(part: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export function readAssertion(assertion: string, certificatePem: string | null, nowMs: number): ReadAssertion {
  const parts = assertion.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'malformed' };
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decodeJson(headerPart);
  const claims = decodeJson(payloadPart);
  if (!header || !claims) return { ok: false, reason: 'malformed' };
  if (header.alg !== 'RS256' || certificatePem === null) return { ok: false, reason: 'signature' };
  const key = publicKeyOf(certificatePem, nowMs);
  if (key === 'expired') return { ok: false, reason: 'certificate_expired' };
  if (key === null) return { ok: false, reason: 'signature' };
  const valid = verify('RSA-SHA256', Buffer.from(`${headerPart}.${payloadPart}`), key, Buffer.from(signaturePart, 'base64url'));
  return valid ? { ok: true, claims } : { ok: false, reason: 'signature' };
}
