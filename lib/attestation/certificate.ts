import { createHash, createPublicKey, type KeyObject, verify } from "node:crypto";
import { children, contentEquals, DerError, expectTlv, readSmallUint, readTime, readTlv, TAG, type Tlv } from "./der";

/** OID contents (without tag and length) that the verifier looks for. */
const OID = {
  basicConstraints: Uint8Array.of(0x55, 0x1d, 0x13), // 2.5.29.19
  keyUsage: Uint8Array.of(0x55, 0x1d, 0x0f), // 2.5.29.15
  ecdsaWithSha384: Uint8Array.of(0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03), // 1.2.840.10045.4.3.3
  ecPublicKey: Uint8Array.of(0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01), // 1.2.840.10045.2.1
  secp384r1: Uint8Array.of(0x2b, 0x81, 0x04, 0x00, 0x22), // 1.3.132.0.34
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
  /** The signed part (the whole tbsCertificate element). */
  tbs: Uint8Array;
  /** The DER Ecdsa-Sig-Value from signatureValue. */
  signature: Uint8Array;
  /** issuer and subject Name elements, as encoded. */
  issuerName: Uint8Array;
  subjectName: Uint8Array;
  /** The subject public key (OpenSSL checked the point is on the curve). */
  publicKey: KeyObject;
  /** True when the key is an EC key on P-384 (secp384r1). */
  p384: boolean;
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

const element = (der: Uint8Array, tlv: Tlv) => der.subarray(tlv.offset, tlv.end);

/**
 * Parses one X.509 v3 certificate with a strict DER walk (`der.ts`), keeping the
 * signed bytes, names, validity, basicConstraints, keyUsage and signature; the
 * public key is imported by OpenSSL (node:crypto), which checks it.
 *
 * OpenSSL's own certificate parser (`X509Certificate`) is not used: with OpenSSL 3
 * it costs as much as an ECDSA verify per certificate (docs/decisions/0010).
 *
 * @throws CertificateParseError on any malformed or unexpected element.
 */
export function parseCertificate(der: Uint8Array): ParsedCertificate {
  try {
    const cert = expectTlv(der, 0, TAG.SEQUENCE);
    if (cert.next !== der.length) throw new DerError("trailing bytes after the certificate");
    const parts = children(der, cert);
    if (parts.length !== 3) throw new DerError("certificate must have 3 parts");
    const [tbs, outerAlg, sigValue] = parts as [Tlv, Tlv, Tlv];
    if (tbs.tag !== TAG.SEQUENCE || sigValue.tag !== TAG.BIT_STRING) throw new DerError("malformed certificate");
    if (sigValue.end - sigValue.start < 2 || der[sigValue.start] !== 0) throw new DerError("malformed signature");

    const fields = children(der, tbs);
    let i = 0;
    const version = fields[i];
    if (version?.tag !== TAG.CONTEXT_0) throw new DerError("only X.509 v3 certificates are accepted");
    const versionValue = expectTlv(der, version.start, TAG.INTEGER, version.end);
    if (versionValue.next !== version.end || readSmallUint(der, versionValue) !== 2) {
      throw new DerError("only X.509 v3 certificates are accepted");
    }
    i++;
    const serial = fields[i++];
    const innerAlg = fields[i++];
    const issuer = fields[i++];
    const validity = fields[i++];
    const subject = fields[i++];
    const spki = fields[i++];
    if (!serial || !innerAlg || !issuer || !validity || !subject || !spki) {
      throw new DerError("tbsCertificate is incomplete");
    }
    if (serial.tag !== TAG.INTEGER || issuer.tag !== TAG.SEQUENCE || subject.tag !== TAG.SEQUENCE) {
      throw new DerError("malformed tbsCertificate");
    }
    if (validity.tag !== TAG.SEQUENCE || spki.tag !== TAG.SEQUENCE) throw new DerError("malformed tbsCertificate");
    const times = children(der, validity);
    if (times.length !== 2) throw new DerError("validity must have 2 times");
    let extensions: Tlv | undefined;
    for (; i < fields.length; i++) {
      const field = fields[i]!;
      if (field.tag === TAG.CONTEXT_3 && extensions === undefined) extensions = field;
      else if (field.tag !== TAG.CONTEXT_1 && field.tag !== TAG.CONTEXT_2)
        throw new DerError("unexpected tbsCertificate field");
    }
    const ext = extensions ? readExtensions(der, extensions) : { ca: false, pathLen: undefined, keyUsage: undefined };
    const keyAlgParts = children(der, expectTlv(der, spki.start, TAG.SEQUENCE, spki.end));
    const p384 =
      keyAlgParts.length === 2 &&
      keyAlgParts[0]!.tag === TAG.OID &&
      contentEquals(der, keyAlgParts[0]!, OID.ecPublicKey) &&
      keyAlgParts[1]!.tag === TAG.OID &&
      contentEquals(der, keyAlgParts[1]!, OID.secp384r1);
    let publicKey: KeyObject;
    try {
      publicKey = createPublicKey({ key: Buffer.from(element(der, spki)), format: "der", type: "spki" });
    } catch (err) {
      throw new CertificateParseError(`has an unreadable public key: ${(err as Error).message}`, err);
    }
    return {
      der,
      sha256: sha256Hex(der),
      tbs: element(der, tbs),
      signature: der.subarray(sigValue.start + 1, sigValue.end),
      issuerName: element(der, issuer),
      subjectName: element(der, subject),
      publicKey,
      p384,
      notBefore: readTime(der, times[0]!),
      notAfter: readTime(der, times[1]!),
      ...ext,
      ecdsaSha384: algorithmIs(der, innerAlg, OID.ecdsaWithSha384) && algorithmIs(der, outerAlg, OID.ecdsaWithSha384),
    };
  } catch (err) {
    if (err instanceof CertificateParseError) throw err;
    if (err instanceof DerError) throw new CertificateParseError(err.message, err);
    throw new CertificateParseError(`cannot be read: ${(err as Error).message}`, err);
  }
}

/** True when `issuer`'s key signed `cert` (ecdsa-with-SHA384 over the DER tbsCertificate). */
export function signedBy(cert: ParsedCertificate, issuer: ParsedCertificate): boolean {
  try {
    return verify("sha384", cert.tbs, { key: issuer.publicKey, dsaEncoding: "der" }, cert.signature);
  } catch {
    return false;
  }
}

/** True when `cert` names `issuer` as its issuer (byte-equal Names, RFC 5280 §7.1). */
export function namedBy(cert: ParsedCertificate, issuer: ParsedCertificate): boolean {
  return Buffer.compare(cert.issuerName, issuer.subjectName) === 0;
}

/** A short description for error messages. */
export function describe(cert: ParsedCertificate): string {
  return `sha256 ${cert.sha256.slice(0, 16)}…`;
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
      if (parts[1].end - parts[1].start !== 1) throw new DerError("malformed BOOLEAN");
      critical = der[parts[1].start] === 0xff;
      valueIndex = 2;
    }
    const value = parts[valueIndex];
    if (!value || value.tag !== TAG.OCTET_STRING || parts.length !== valueIndex + 1) {
      throw new DerError("malformed extension");
    }
    if (contentEquals(der, id, OID.basicConstraints)) {
      const seq = expectTlv(der, value.start, TAG.SEQUENCE, value.end);
      if (seq.next !== value.end) throw new DerError("trailing bytes in basicConstraints");
      for (const item of children(der, seq)) {
        if (item.tag === TAG.BOOLEAN && item.end - item.start === 1) ca = der[item.start] === 0xff;
        else if (item.tag === TAG.INTEGER) pathLen = readSmallUint(der, item);
        else throw new DerError("malformed basicConstraints");
      }
    } else if (contentEquals(der, id, OID.keyUsage)) {
      const bits = readTlv(der, value.start, value.end);
      if (bits.tag !== TAG.BIT_STRING || bits.end - bits.start < 2 || bits.next !== value.end) {
        throw new DerError("malformed keyUsage");
      }
      keyUsage = der[bits.start + 1];
    } else if (critical && !KNOWN_CRITICAL.some((oid) => contentEquals(der, id, oid))) {
      throw new DerError(`unknown critical extension ${key}`);
    }
  }
  return { ca, pathLen, keyUsage };
}
