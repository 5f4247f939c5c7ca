// `grantkeeper integrations certificate <key>`: the server signs a self-signed certificate with
// the integration's stored private key (which never leaves it); the PEM goes to stdout or
// --out, and the instructions to stderr, so `> app.crt` keeps a clean file.
import { writeFileSync } from 'node:fs';
import type { IssuedCertificateDocument as IssuedCertificate } from '../api/certificate-schemas.js';
import { ApiError, enc, type ApiClient } from './api-client.js';
import { intOption } from './args.js';
import { line, paint, printJson, type Out } from './output.js';

interface CertificateFlags {
  days?: string;
  'common-name'?: string;
  out?: string;
}

export async function runCertificate(api: ApiClient, out: Out, key: string, flags: CertificateFlags, usage: string): Promise<number> {
  const days = intOption(flags.days, 'days', usage, { min: 1, max: 3650 });
  const body = { ...(days !== undefined ? { days } : {}), ...(flags['common-name'] !== undefined ? { common_name: flags['common-name'] } : {}) };
  let issued: IssuedCertificate;
  try {
    issued = (await api.request<IssuedCertificate>('POST', `/v1/integrations/${enc(key)}/certificate`, { body })).body;
  } catch (error) {
    if (error instanceof ApiError && error.code === 'integration_has_no_private_key') {
      out.stderr.write(`Integration ${key} has no private key. Set one: grantkeeper integrations update ${key} --private-key key.pem\n`);
    }
    throw error;
  }
  if (flags.out !== undefined) writeFileSync(flags.out, issued.certificate_pem, { mode: 0o644 });
  if (out.json) {
    printJson(out, issued);
    return 0;
  }
  if (flags.out === undefined) out.stdout.write(issued.certificate_pem);
  const note: Out = { ...out, stdout: out.stderr };
  if (flags.out !== undefined) line(note, `Wrote the certificate of ${paint(out, 'bold', key)} to ${flags.out}.`);
  line(note, `Certificate SHA-256 ${issued.fingerprint_sha256}, valid ${issued.not_before} to ${issued.not_after}.`);
  line(note, `Its public key is the integration's (SHA-256 ${issued.public_key_fingerprint_sha256}).`);
  line(note, 'Upload it to the OAuth app at the provider, in its setting for signed assertions');
  line(note, '(e.g. an External Client App\'s OAuth Settings → "Use digital signatures"). Replace it before it expires.');
  return 0;
}
