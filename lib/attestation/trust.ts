import { X509Certificate } from "node:crypto";
import { AWS_NITRO_ROOT_PEM, AWS_NITRO_ROOT_SHA256 } from "./aws-root";
import { CertificateParseError, KEY_USAGE, type ParsedCertificate, parseCertificate, signedBy } from "./certificate";
import { fail, REASONS } from "./errors";

/** Trusted roots keyed by the SHA-256 of their DER. */
export type TrustAnchors = ReadonlyMap<string, ParsedCertificate>;

const memo = new Map<string | Uint8Array, ParsedCertificate>();
const MEMO_LIMIT = 64;
let defaultAnchors: TrustAnchors | undefined;

/** Converts a PEM certificate (the first one in the text) to DER. */
export function pemToDer(pem: string): Uint8Array {
  const match = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/.exec(pem);
  if (!match) throw new CertificateParseError("no PEM certificate found");
  return new Uint8Array(Buffer.from(match[1]!.replace(/\s+/g, ""), "base64"));
}

function parseRoot(input: string | Uint8Array): ParsedCertificate {
  const cached = memo.get(input);
  if (cached) return cached;
  let root: ParsedCertificate;
  try {
    root = parseCertificate(typeof input === "string" ? pemToDer(input) : new Uint8Array(input));
  } catch (err) {
    fail(
      "ATTESTATION_UNTRUSTED",
      REASONS.untrustedRoot,
      `trusted root is not a certificate: ${(err as Error).message}`,
      err,
    );
  }
  if (!root.ca || root.keyUsage === undefined || !(root.keyUsage & KEY_USAGE.keyCertSign)) {
    fail("ATTESTATION_UNTRUSTED", REASONS.untrustedRoot, "trusted root is not a CA certificate with keyCertSign");
  }
  if (!signedBy(root, root)) {
    fail("ATTESTATION_UNTRUSTED", REASONS.untrustedRoot, "trusted root is not self-signed");
  }
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(input, root);
  return root;
}

/**
 * The trust anchors for a verification: the given roots (PEM text or DER), or by
 * default the pinned AWS Nitro root only. A dev root is trusted only when passed here.
 */
export function trustAnchors(roots?: readonly (string | Uint8Array)[]): TrustAnchors {
  if (roots === undefined) {
    if (!defaultAnchors) {
      const aws = parseRoot(AWS_NITRO_ROOT_PEM);
      if (aws.sha256 !== AWS_NITRO_ROOT_SHA256) throw new Error("embedded AWS Nitro root does not match its pin");
      defaultAnchors = new Map([[aws.sha256, aws]]);
    }
    return defaultAnchors;
  }
  const anchors = new Map<string, ParsedCertificate>();
  for (const input of roots) {
    const root = parseRoot(input);
    anchors.set(root.sha256, root);
  }
  return anchors;
}

/** True when `pem` parses as a certificate; used by the CLI to report bad --root files early. */
export function isCertificatePem(pem: string): boolean {
  try {
    new X509Certificate(pemToDer(pem));
    return true;
  } catch {
    return false;
  }
}
