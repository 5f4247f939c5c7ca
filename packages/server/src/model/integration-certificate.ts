// The self-signed certificate of an integration's private key, for app registries that take a
// certificate rather than a public key (e.g. "Use digital signatures"). The key is
// decrypted only here, only to sign, and never leaves this function.
import { createPrivateKey } from 'node:crypto';
import { recordAuditEvent } from '../audit/record.js';
import type { AppContext } from '../context.js';
import { createSelfSignedCertificate } from '../crypto/self-signed-certificate.js';
import type { AuditContext } from '../domain/audit.js';
import { conflict } from '../errors.js';
import { getIntegration } from './integrations.js';
import { privateKeyPemOf, publicKeyFingerprint } from './private-keys.js';

export const CERTIFICATE_DAYS_DEFAULT = 730;
const DAY_MS = 86_400_000;

export interface CertificateOptions {
  days?: number;
  common_name?: string;
}

export interface IssuedCertificate {
  certificate_pem: string;
  fingerprint_sha256: string;
  not_before: string;
  not_after: string;
  public_key_fingerprint_sha256: string;
}

export async function issueIntegrationCertificate(ctx: AppContext, audit: AuditContext, key: string, options: CertificateOptions, now = new Date()): Promise<IssuedCertificate> {
  const row = await getIntegration(ctx, key);
  const pem = privateKeyPemOf(ctx.keyring, row);
  if (pem === null || row.public_key_pem === null) {
    throw conflict('integration_has_no_private_key', `Integration "${key}" has no private_key; set one (PATCH private_key) before asking for its certificate.`);
  }
  // Whole seconds: X.509 times carry no milliseconds, so the answer matches the certificate.
  const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000);
  const notAfter = new Date(notBefore.getTime() + (options.days ?? CERTIFICATE_DAYS_DEFAULT) * DAY_MS);
  const made = createSelfSignedCertificate({ privateKey: createPrivateKey(pem), commonName: options.common_name ?? `Grantkeeper ${key}`, notBefore, notAfter });
  await recordAuditEvent(ctx.db.kysely, audit, 'integration.certificate_issued', { type: 'integration', id: key }, {
    fingerprint_sha256: made.fingerprintSha256,
    not_after: notAfter.toISOString(),
  });
  return {
    certificate_pem: made.pem,
    fingerprint_sha256: made.fingerprintSha256,
    not_before: notBefore.toISOString(),
    not_after: notAfter.toISOString(),
    public_key_fingerprint_sha256: publicKeyFingerprint(row.public_key_pem),
  };
}
