import {
  CertificateParseError,
  describe,
  KEY_USAGE,
  namedBy,
  type ParsedCertificate,
  parseCertificate,
  sha256Hex,
  signedBy,
} from "./certificate";
import { CA_CACHE_ENTRIES } from "./constants";
import { fail, REASONS } from "./errors";
import type { TrustAnchors } from "./trust";

/**
 * Intermediate CA certificates already parsed and whose signature by a given issuer
 * already verified, keyed by `sha256(cert DER):sha256(issuer DER)`. Only properties
 * that cannot change are cached (the bytes, the issuer's signature over them, their
 * constraints); validity and path length are checked on every call.
 */
const verifiedCas = new Map<string, ParsedCertificate>();

/** Forgets every cached intermediate (tests and benchmarks measure the cold path with it). */
export function clearChainCache(): void {
  verifiedCas.clear();
}

function parse(der: Uint8Array, what: string): ParsedCertificate {
  try {
    return parseCertificate(der);
  } catch (err) {
    if (err instanceof CertificateParseError) {
      fail("ATTESTATION_INVALID", REASONS.certificate, `${what} ${err.message}`, err);
    }
    throw err;
  }
}

/** Checks what a certificate must satisfy whatever the time: algorithm, key, issuer name, signature. */
function checkIssuedBy(cert: ParsedCertificate, issuer: ParsedCertificate, what: string): void {
  if (!cert.ecdsaSha384) fail("ATTESTATION_UNTRUSTED", REASONS.chain, `${what} is not signed with ecdsa-with-SHA384`);
  if (!cert.p384) fail("ATTESTATION_UNTRUSTED", REASONS.chain, `${what} does not carry a P-384 key`);
  if (!namedBy(cert, issuer)) {
    fail("ATTESTATION_UNTRUSTED", REASONS.chain, `${what} (${describe(cert)}) was not issued by ${describe(issuer)}`);
  }
  if (!signedBy(cert, issuer)) {
    fail("ATTESTATION_UNTRUSTED", REASONS.chainSignature, `${what} signature does not verify with its issuer's key`);
  }
}

function checkCa(cert: ParsedCertificate, what: string): void {
  if (!cert.ca) fail("ATTESTATION_UNTRUSTED", REASONS.chain, `${what} is not a CA (basicConstraints)`);
  if (cert.keyUsage === undefined || !(cert.keyUsage & KEY_USAGE.keyCertSign)) {
    fail("ATTESTATION_UNTRUSTED", REASONS.chain, `${what} may not sign certificates (keyUsage)`);
  }
}

function checkValidity(cert: ParsedCertificate, time: number, what: string): void {
  if (time < cert.notBefore) {
    fail(
      "ATTESTATION_STALE",
      REASONS.validity,
      `${what} is not valid before ${new Date(cert.notBefore).toISOString()}`,
    );
  }
  if (time > cert.notAfter) {
    fail("ATTESTATION_STALE", REASONS.validity, `${what} expired at ${new Date(cert.notAfter).toISOString()}`);
  }
}

function intermediate(der: Uint8Array, issuer: ParsedCertificate, what: string): ParsedCertificate {
  const key = `${sha256Hex(der)}:${issuer.sha256}`;
  const cached = verifiedCas.get(key);
  if (cached) return cached;
  const cert = parse(der, what);
  checkIssuedBy(cert, issuer, what);
  checkCa(cert, what);
  if (verifiedCas.size >= CA_CACHE_ENTRIES) verifiedCas.delete(verifiedCas.keys().next().value as string);
  verifiedCas.set(key, cert);
  return cert;
}

/**
 * Verifies `leaf` ← `cabundle[n-1]` ← … ← `cabundle[0]`, where `cabundle[0]` must be
 * byte-for-byte one of the trust anchors (pinned by SHA-256 of its DER). Every
 * certificate must be valid at `time`, every CA must have cA and keyCertSign and
 * respect its pathLenConstraint, and the leaf must be an end entity with
 * digitalSignature and a P-384 key.
 *
 * @throws VettidError ATTESTATION_UNTRUSTED (chain), ATTESTATION_STALE (validity),
 *   ATTESTATION_INVALID (unparsable certificate).
 */
export function verifyChain(
  leaf: ParsedCertificate,
  cabundle: readonly Uint8Array[],
  anchors: TrustAnchors,
  time: number,
): void {
  const rootDer = cabundle[0]!;
  const root = anchors.get(sha256Hex(rootDer));
  if (!root) {
    fail(
      "ATTESTATION_UNTRUSTED",
      REASONS.untrustedRoot,
      `the chain ends at a root that is not trusted (sha256 ${sha256Hex(rootDer)})`,
    );
  }
  checkValidity(root, time, "root certificate");
  const path: ParsedCertificate[] = [root];
  for (let i = 1; i < cabundle.length; i++) {
    const what = `cabundle[${i}]`;
    const cert = intermediate(cabundle[i]!, path[i - 1]!, what);
    checkValidity(cert, time, what);
    path.push(cert);
  }
  // pathLenConstraint: how many CA certificates may follow this one (RFC 5280 §4.2.1.9).
  for (let i = 0; i < path.length; i++) {
    const limit = path[i]!.pathLen;
    const following = path.length - 1 - i;
    if (limit !== undefined && following > limit) {
      fail("ATTESTATION_UNTRUSTED", REASONS.chain, `cabundle[${i}] allows ${limit} CAs below it, found ${following}`);
    }
  }
  const issuer = path[path.length - 1]!;
  checkIssuedBy(leaf, issuer, "leaf certificate");
  if (leaf.ca) fail("ATTESTATION_UNTRUSTED", REASONS.chain, "leaf certificate is a CA");
  if (leaf.keyUsage === undefined || !(leaf.keyUsage & KEY_USAGE.digitalSignature)) {
    fail("ATTESTATION_UNTRUSTED", REASONS.chain, "leaf certificate may not sign (keyUsage digitalSignature)");
  }
  checkValidity(leaf, time, "leaf certificate");
}

/** Parses the document's leaf certificate. */
export function parseLeaf(der: Uint8Array): ParsedCertificate {
  return parse(der, "leaf certificate");
}
