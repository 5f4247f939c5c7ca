import { execFileSync } from 'node:child_process';
import { X509Certificate, createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { createSelfSignedCertificate } from '../src/crypto/self-signed-certificate.js';

describe('self-signed certificate', () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const notBefore = new Date('2026-03-01T10:00:00Z');
  const notAfter = new Date('2028-03-01T10:00:00Z');
  const made = createSelfSignedCertificate({ privateKey, commonName: 'Grantkeeper sf-jwt', notBefore, notAfter });

  test('node:crypto parses it, and it verifies against its own public key', () => {
    const cert = new X509Certificate(made.pem);
    expect(cert.verify(createPublicKey(privateKey))).toBe(true);
    expect(cert.subject).toBe('CN=Grantkeeper sf-jwt');
    expect(cert.issuer).toBe('CN=Grantkeeper sf-jwt');
    expect(new Date(cert.validFrom).toISOString()).toBe(notBefore.toISOString());
    expect(new Date(cert.validTo).toISOString()).toBe(notAfter.toISOString());
    expect(cert.serialNumber).toBe(made.serialNumber);
    expect(cert.fingerprint256).toBe(made.fingerprintSha256);
    expect(cert.ca).toBe(false);
    const spki = (k: ReturnType<typeof createPublicKey>) => k.export({ type: 'spki', format: 'der' });
    expect(createHash('sha256').update(spki(cert.publicKey)).digest('hex')).toBe(createHash('sha256').update(spki(createPublicKey(privateKey))).digest('hex'));
  });

  test('a different key does not verify it', () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    expect(new X509Certificate(made.pem).verify(other)).toBe(false);
  });

  test('serial numbers are random and positive', () => {
    const again = createSelfSignedCertificate({ privateKey, commonName: 'x', notBefore, notAfter });
    expect(again.serialNumber).not.toBe(made.serialNumber);
    expect(Number.parseInt(made.serialNumber.slice(0, 2), 16)).toBeLessThan(0x80);
  });

  test('openssl reads the same fields', () => {
    const text = execFileSync('openssl', ['x509', '-noout', '-text', '-fingerprint', '-sha256'], { input: made.pem }).toString();
    expect(text).toContain('Version: 3 (0x2)');
    expect(text).toContain('Signature Algorithm: sha256WithRSAEncryption');
    expect(text).toMatch(/Issuer: CN\s?=\s?Grantkeeper sf-jwt/);
    expect(text).toMatch(/Subject: CN\s?=\s?Grantkeeper sf-jwt/);
    expect(text).toContain('Not Before: Mar  1 10:00:00 2026 GMT');
    expect(text).toContain('Not After : Mar  1 10:00:00 2028 GMT');
    expect(text).toContain('Public-Key: (2048 bit)');
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature\n/);
    expect(text).toContain(`Fingerprint=${made.fingerprintSha256}`);
    // openssl also checks the self-signature (the validity window is in the past/future of the run, so time is not checked).
    const file = join(mkdtempSync(join(tmpdir(), 'gk-cert-')), 'cert.pem');
    writeFileSync(file, made.pem);
    const verified = execFileSync('openssl', ['verify', '-CAfile', file, '-check_ss_sig', '-no_check_time', file]).toString();
    expect(verified).toContain(`${file}: OK`);
  });
});
