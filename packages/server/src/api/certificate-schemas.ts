// Request and answer of POST /v1/integrations/{key}/certificate.
import { Type, type Static } from 'typebox';

export const CertificateBody = Type.Object(
  {
    days: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650, description: 'How long the certificate is valid, from now (default 730)' })),
    // 64: the X.520 upper bound for a common name.
    common_name: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Subject and issuer CN (default "Grantkeeper <key>")' })),
  },
  { additionalProperties: false },
);

export const CertificateSchema = Type.Object(
  {
    certificate_pem: Type.String({ description: 'The self-signed X.509 certificate (PEM) of the integration\'s key pair' }),
    fingerprint_sha256: Type.String({ description: "SHA-256 of the certificate's DER, colon-separated hex" }),
    not_before: Type.String({ format: 'date-time' }),
    not_after: Type.String({ format: 'date-time' }),
    public_key_fingerprint_sha256: Type.String({ description: 'The same as the integration shows: which key the certificate is for' }),
  },
  { additionalProperties: false },
);

export type IssuedCertificateDocument = Static<typeof CertificateSchema>;
