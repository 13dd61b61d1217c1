import { createHash, type KeyObject, X509Certificate } from "node:crypto";
import { children, contentEquals, DerError, expectTlv, readSmallUint, readTime, readTlv, TAG, type Tlv } from "./der";

/** OID contents (without tag and length) that the verifier looks for. */
const OID = {
  basicConstraints: Uint8Array.of(0x55, 0x1d, 0x13), // 2.5.29.19
  keyUsage: Uint8Array.of(0x55, 0x1d, 0x0f), // 2.5.29.15
  ecdsaWithSha384: Uint8Array.of(0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03), // 1.2.840.10045.4.3.3
} as const;

/**
 * Extensions the verifier understands; a certificate with any other extension
 * marked critical is refused (RFC 5280 §4.2).
 */
const KNOWN_CRITICAL: readonly Uint8Array[] = [
  OID.basicConstraints,
  OID.keyUsage,
  Uint8Array.of(0x55, 0x1d, 0x0e), // subjectKeyIdentifier
  Uint8Array.of(0x55, 0x1d, 0x23), // authorityKeyIdentifier
];

/** Key usage bits (RFC 5280 §4.2.1.3), as masks over the first content byte. */
export const KEY_USAGE = {
  digitalSignature: 0x80,
  keyCertSign: 0x04,
} as const;

/** What the chain check needs from one certificate. */
export interface ParsedCertificate {
  der: Uint8Array;
  /** SHA-256 of the DER, lower-case hex. */
  sha256: string;
  x509: X509Certificate;
  publicKey: KeyObject;
  /** Named curve of the EC key, e.g. `secp384r1`; undefined for other key types. */
  curve: string | undefined;
  notBefore: number;
  notAfter: number;
  /** basicConstraints cA (false when the extension is absent). */
  ca: boolean;
  /** basicConstraints pathLenConstraint, when present. */
  pathLen: number | undefined;
  /** First byte of the keyUsage bit string, or undefined when the extension is absent. */
  keyUsage: number | undefined;
  /** True when the certificate is signed with ecdsa-with-SHA384. */
  ecdsaSha384: boolean;
  subject: string;
}

/** Raised when a certificate cannot be parsed; the message says what is wrong. */
export class CertificateParseError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = "CertificateParseError";
  }
}

/** SHA-256 of `bytes` as lower-case hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * Parses one DER certificate with OpenSSL (node:crypto) and reads the fields OpenSSL
 * does not expose (validity as numbers, basicConstraints, keyUsage) with a strict
 * DER walk.
 *
 * @throws CertificateParseError when either parser refuses the bytes.
 */
export function parseCertificate(der: Uint8Array): ParsedCertificate {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(der);
  } catch (err) {
    throw new CertificateParseError("is not a valid X.509 certificate", err);
  }
  try {
    const cert = expectTlv(der, 0, TAG.SEQUENCE);
    if (cert.next !== der.length) throw new DerError("trailing bytes after the certificate");
    const [tbs, outerAlg] = children(der, cert);
    if (!tbs || !outerAlg) throw new DerError("certificate is incomplete");
    const fields = children(der, tbs);
    let i = 0;
    if (fields[i]?.tag === TAG.CONTEXT_0) i++; // version
    i++; // serialNumber
    const innerAlg = fields[i++];
    i++; // issuer
    const validity = fields[i++];
    i++; // subject
    i++; // subjectPublicKeyInfo
    if (!innerAlg || !validity) throw new DerError("tbsCertificate is incomplete");
    const [notBefore, notAfter] = children(der, validity);
    if (!notBefore || !notAfter) throw new DerError("validity is incomplete");
    let extensions: Tlv | undefined;
    for (; i < fields.length; i++) {
      if (fields[i]!.tag === TAG.CONTEXT_3) extensions = fields[i];
    }
    const ext = extensions ? readExtensions(der, extensions) : { ca: false, pathLen: undefined, keyUsage: undefined };
    const details = x509.publicKey.asymmetricKeyDetails;
    return {
      der,
      sha256: sha256Hex(der),
      x509,
      publicKey: x509.publicKey,
      curve: x509.publicKey.asymmetricKeyType === "ec" ? details?.namedCurve : undefined,
      notBefore: readTime(der, notBefore),
      notAfter: readTime(der, notAfter),
      ...ext,
      ecdsaSha384: algorithmIs(der, innerAlg, OID.ecdsaWithSha384) && algorithmIs(der, outerAlg, OID.ecdsaWithSha384),
      subject: x509.subject.replace(/\n/g, ", "),
    };
  } catch (err) {
    if (err instanceof DerError) throw new CertificateParseError(err.message, err);
    // OpenSSL parses lazily: a corrupt key or name only fails when first read.
    throw new CertificateParseError(`cannot be read: ${(err as Error).message}`, err);
  }
}

function algorithmIs(der: Uint8Array, alg: Tlv, oid: Uint8Array): boolean {
  if (alg.tag !== TAG.SEQUENCE) return false;
  const [id, ...params] = children(der, alg);
  return id !== undefined && id.tag === TAG.OID && contentEquals(der, id, oid) && params.length === 0;
}

function readExtensions(
  der: Uint8Array,
  wrapper: Tlv,
): { ca: boolean; pathLen: number | undefined; keyUsage: number | undefined } {
  const list = expectTlv(der, wrapper.start, TAG.SEQUENCE, wrapper.end);
  if (list.next !== wrapper.end) throw new DerError("trailing bytes after extensions");
  let ca = false;
  let pathLen: number | undefined;
  let keyUsage: number | undefined;
  const seen = new Set<string>();
  for (const extension of children(der, list)) {
    if (extension.tag !== TAG.SEQUENCE) throw new DerError("extension is not a SEQUENCE");
    const parts = children(der, extension);
    const id = parts[0];
    if (!id || id.tag !== TAG.OID) throw new DerError("extension without an OID");
    const key = Buffer.from(der.subarray(id.start, id.end)).toString("hex");
    if (seen.has(key)) throw new DerError("duplicate extension");
    seen.add(key);
    let critical = false;
    let valueIndex = 1;
    if (parts[1]?.tag === TAG.BOOLEAN) {
      critical = der[parts[1].start] === 0xff;
      valueIndex = 2;
    }
    const value = parts[valueIndex];
    if (!value || value.tag !== TAG.OCTET_STRING || parts.length !== valueIndex + 1) {
      throw new DerError("malformed extension");
    }
    if (contentEquals(der, id, OID.basicConstraints)) {
      const seq = expectTlv(der, value.start, TAG.SEQUENCE, value.end);
      for (const item of children(der, seq)) {
        if (item.tag === TAG.BOOLEAN) ca = der[item.start] === 0xff;
        else if (item.tag === TAG.INTEGER) pathLen = readSmallUint(der, item);
        else throw new DerError("malformed basicConstraints");
      }
    } else if (contentEquals(der, id, OID.keyUsage)) {
      const bits = readTlv(der, value.start, value.end);
      if (bits.tag !== TAG.BIT_STRING || bits.end - bits.start < 2) throw new DerError("malformed keyUsage");
      keyUsage = der[bits.start + 1];
    } else if (critical && !KNOWN_CRITICAL.some((oid) => contentEquals(der, id, oid))) {
      throw new DerError(`unknown critical extension ${key}`);
    }
  }
  return { ca, pathLen, keyUsage };
}
