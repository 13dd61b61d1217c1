import { timingSafeEqual, verify as verifySignature } from "node:crypto";
import { findRelease } from "../manifest/releases";
import { parseLeaf, verifyChain } from "./chain";
import { MAX_FUTURE_SKEW_MS } from "./constants";
import { parseCoseSign1, sigStructure } from "./cose";
import { parsePayload } from "./document";
import { fail, REASONS } from "./errors";
import { trustAnchors } from "./trust";
import type { AttestationVerifyOptions, VerifiedAttestation } from "./types";

function isAllZero(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0) return false;
  return true;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Verifies an AWS Nitro attestation document as AWS documents it
 * (aws-nitro-enclaves-nsm-api `docs/attestation_process.md`):
 * COSE_Sign1 with ES384 signed by the leaf certificate, the leaf chained through
 * `cabundle` to a pinned root, every certificate valid at `options.time`, the payload
 * types and sizes, and then the optional nonce, age and manifest checks.
 *
 * @example
 * const att = await verifyAttestation(doc, { expectedNonce: nonce, maxAgeMs: 60_000, manifest });
 * const enclaveKey = att.publicKey;
 * @throws VettidError ATTESTATION_INVALID (malformed, bad signature),
 *   ATTESTATION_UNTRUSTED (chain), ATTESTATION_STALE (validity, nonce, age),
 *   PCR_NOT_APPROVED (debug mode, not in the manifest). `details.reason` says which check failed.
 */
export async function verifyAttestation(
  document: Uint8Array,
  options: AttestationVerifyOptions = {},
): Promise<VerifiedAttestation> {
  if (!(document instanceof Uint8Array)) fail("ATTESTATION_INVALID", REASONS.cbor, "document must be bytes");
  const time = (options.time ?? new Date()).getTime();
  if (!Number.isFinite(time)) fail("ATTESTATION_INVALID", REASONS.validity, "verification time is not a valid date");
  const anchors = trustAnchors(options.trustedRoots);

  const cose = parseCoseSign1(document);
  const payload = parsePayload(cose.payload);
  const leaf = parseLeaf(payload.certificate);
  if (!leaf.p384) {
    fail("ATTESTATION_INVALID", REASONS.certificate, "leaf certificate does not carry a P-384 key (ES384)");
  }
  const signed = verifySignature(
    "sha384",
    sigStructure(cose.protectedBytes, cose.payload),
    { key: leaf.publicKey, dsaEncoding: "ieee-p1363" },
    cose.signature,
  );
  if (!signed) fail("ATTESTATION_INVALID", REASONS.coseSignature, "COSE signature does not verify with the leaf key");

  verifyChain(leaf, payload.cabundle, anchors, time);

  if (payload.timestamp > time + MAX_FUTURE_SKEW_MS) {
    fail(
      "ATTESTATION_STALE",
      REASONS.age,
      `document timestamp ${new Date(payload.timestamp).toISOString()} is in the future`,
    );
  }
  if (options.maxAgeMs !== undefined && time - payload.timestamp > options.maxAgeMs) {
    fail(
      "ATTESTATION_STALE",
      REASONS.age,
      `document is ${time - payload.timestamp} ms old, at most ${options.maxAgeMs} allowed`,
    );
  }
  if (options.expectedNonce !== undefined) {
    const expected = options.expectedNonce instanceof Uint8Array ? [options.expectedNonce] : options.expectedNonce;
    const carried = payload.nonce;
    if (!carried || !expected.some((nonce) => sameBytes(carried, nonce))) {
      fail("ATTESTATION_STALE", REASONS.nonce, "document nonce does not match the expected nonce");
    }
  }
  const debug = [0, 1, 2].every((i) => isAllZero(payload.pcrs[i]!));
  if (debug && !options.allowDebug) {
    fail("PCR_NOT_APPROVED", REASONS.debugMode, "enclave runs in debug mode (PCR0-2 are all zero)");
  }
  if (options.manifest) {
    const release = findRelease(options.manifest, payload.pcrs, new Date(time));
    if (!release) {
      fail(
        "PCR_NOT_APPROVED",
        REASONS.manifest,
        `PCR0/1/2 match no approved release of manifest serial ${options.manifest.serial}`,
      );
    }
  }
  return payload;
}
