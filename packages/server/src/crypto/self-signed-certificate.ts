// A self-signed X.509 certificate for an RSA key: what an app registry that verifies signed
// assertions ("Use digital signatures") often wants in place of a bare public key. The
// ASN.1 structure comes from @peculiar/asn1-x509; node:crypto does the signing, so the private
// key stays a KeyObject and never passes through the encoder.
import { createHash, createPublicKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  BasicConstraints,
  Certificate,
  Extension,
  Extensions,
  KeyUsage,
  KeyUsageFlags,
  Name,
  RelativeDistinguishedName,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
  id_ce_basicConstraints,
  id_ce_keyUsage,
} from '@peculiar/asn1-x509';

const SHA256_WITH_RSA = '1.2.840.113549.1.1.11';
const COMMON_NAME = '2.5.4.3';
/** DER NULL: RSA signature algorithm identifiers carry explicit NULL parameters (RFC 4055). */
const DER_NULL = new Uint8Array([0x05, 0x00]).buffer;

export interface CertificateRequest {
  privateKey: KeyObject;
  commonName: string;
  notBefore: Date;
  notAfter: Date;
}

export interface SelfSignedCertificate {
  pem: string;
  /** SHA-256 of the certificate's DER, colon-separated upper-case hex (as openssl prints it). */
  fingerprintSha256: string;
  /** Serial number as upper-case hex. */
  serialNumber: string;
}

function nameOf(commonName: string): Name {
  return new Name([new RelativeDistinguishedName([new AttributeTypeAndValue({ type: COMMON_NAME, value: new AttributeValue({ utf8String: commonName }) })])]);
}

/** 16 random bytes with the top bit cleared and a non-zero first byte: positive, no padding needed. */
function randomSerial(): Uint8Array {
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  return serial;
}

function sha256WithRsa(): AlgorithmIdentifier {
  return new AlgorithmIdentifier({ algorithm: SHA256_WITH_RSA, parameters: DER_NULL });
}

function extensions(): Extensions {
  const keyUsage = new KeyUsage(KeyUsageFlags.digitalSignature);
  return new Extensions([
    new Extension({ extnID: id_ce_basicConstraints, critical: true, extnValue: new OctetString(AsnConvert.serialize(new BasicConstraints({ cA: false }))) }),
    new Extension({ extnID: id_ce_keyUsage, critical: true, extnValue: new OctetString(AsnConvert.serialize(keyUsage)) }),
  ]);
}

/** The encoder wants a plain ArrayBuffer; Buffers may share a larger pool, so copy out. */
function copyToArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return new Uint8Array(bytes).buffer;
}

function colonHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex').toUpperCase().match(/../g)!.join(':');
}

export function createSelfSignedCertificate(request: CertificateRequest): SelfSignedCertificate {
  const spkiDer = createPublicKey(request.privateKey).export({ type: 'spki', format: 'der' });
  const serial = randomSerial();
  const name = nameOf(request.commonName);
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: copyToArrayBuffer(serial),
    signature: sha256WithRsa(),
    issuer: name,
    subject: nameOf(request.commonName),
    validity: new Validity({ notBefore: request.notBefore, notAfter: request.notAfter }),
    subjectPublicKeyInfo: AsnConvert.parse(spkiDer, SubjectPublicKeyInfo),
    extensions: extensions(),
  });
  const tbsDer = Buffer.from(AsnConvert.serialize(tbs));
  const signature = sign('sha256', tbsDer, request.privateKey);
  const certificate = new Certificate({
    tbsCertificate: tbs,
    signatureAlgorithm: sha256WithRsa(),
    signatureValue: copyToArrayBuffer(signature),
  });
  const der = Buffer.from(AsnConvert.serialize(certificate));
  const base64Lines = der.toString('base64').match(/.{1,64}/g)!.join('\n');
  return {
    pem: `-----BEGIN CERTIFICATE-----\n${base64Lines}\n-----END CERTIFICATE-----\n`,
    fingerprintSha256: colonHex(createHash('sha256').update(der).digest()),
    serialNumber: Buffer.from(serial).toString('hex').toUpperCase(),
  };
}
