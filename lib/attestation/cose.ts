import { Tag } from "cbor-x";
import { bstrHeader, cborReasonSuffix, decodeCbor, isBytes, STRICT_CBOR, toSafeUint } from "./cbor";
import {
  COSE_ALG_ES384,
  COSE_HEADER_ALG,
  COSE_HEADER_CRIT,
  COSE_SIGN1_TAG,
  ES384_SIGNATURE_BYTES,
  MAX_DOCUMENT_BYTES,
} from "./constants";
import { fail, REASONS } from "./errors";

/** The parts of a COSE_Sign1 structure (RFC 9052 §4.2). */
export interface CoseSign1 {
  /** The protected header exactly as encoded (it is signed as bytes). */
  protectedBytes: Uint8Array;
  payload: Uint8Array;
  /** r ‖ s, 96 bytes. */
  signature: Uint8Array;
}

/**
 * Parses a COSE_Sign1 document, tagged (18) or untagged, and checks that its
 * protected header names ES384 and nothing critical.
 *
 * @throws VettidError ATTESTATION_INVALID on any deviation.
 */
export function parseCoseSign1(bytes: Uint8Array): CoseSign1 {
  if (bytes.length > MAX_DOCUMENT_BYTES) {
    fail("ATTESTATION_INVALID", REASONS.tooLarge, `document of ${bytes.length} bytes exceeds ${MAX_DOCUMENT_BYTES}`);
  }
  let item: unknown;
  try {
    item = decodeCbor(bytes, STRICT_CBOR.document);
  } catch (err) {
    fail("ATTESTATION_INVALID", REASONS.cbor, `document is not a single strict CBOR item${cborReasonSuffix(err)}`, err);
  }
  if (item instanceof Tag) {
    if (item.tag !== COSE_SIGN1_TAG) {
      fail("ATTESTATION_INVALID", REASONS.coseStructure, `document has CBOR tag ${item.tag}, expected 18 (COSE_Sign1)`);
    }
    item = item.value;
  }
  if (!Array.isArray(item) || item.length !== 4) {
    fail("ATTESTATION_INVALID", REASONS.coseStructure, "document is not a COSE_Sign1 array of 4 items");
  }
  const [protectedBytes, unprotected, payload, signature] = item as unknown[];
  if (!isBytes(protectedBytes)) {
    fail("ATTESTATION_INVALID", REASONS.coseStructure, "COSE protected header is not a byte string");
  }
  if (!(unprotected instanceof Map) || unprotected.size !== 0) {
    fail("ATTESTATION_INVALID", REASONS.coseStructure, "COSE unprotected header must be an empty map");
  }
  if (!isBytes(payload) || payload.length === 0) {
    fail("ATTESTATION_INVALID", REASONS.coseStructure, "COSE payload is not a non-empty byte string");
  }
  if (!isBytes(signature) || signature.length !== ES384_SIGNATURE_BYTES) {
    fail("ATTESTATION_INVALID", REASONS.coseStructure, `COSE signature must be ${ES384_SIGNATURE_BYTES} bytes`);
  }
  // The empty map must be the one byte 0xa0 that AWS sends (not a longer head such as
  // 0xb8 0x00), because the protected header's position is computed from that.
  const tagged = bytes[0] === 0xd2 ? 1 : 0;
  if (bytes[tagged + 1 + bstrHeader(protectedBytes.length).length + protectedBytes.length] !== 0xa0) {
    fail("ATTESTATION_INVALID", REASONS.coseStructure, "COSE unprotected header must be encoded as an empty map");
  }
  checkProtectedHeader(protectedBytes);
  return { protectedBytes, payload, signature };
}

function checkProtectedHeader(bytes: Uint8Array): void {
  let header: unknown;
  try {
    header = decodeCbor(bytes, STRICT_CBOR.protectedHeader);
  } catch (err) {
    fail(
      "ATTESTATION_INVALID",
      REASONS.protectedHeader,
      `COSE protected header is not strict CBOR${cborReasonSuffix(err)}`,
      err,
    );
  }
  if (!(header instanceof Map)) {
    fail("ATTESTATION_INVALID", REASONS.protectedHeader, "COSE protected header is not a map");
  }
  if (header.has(COSE_HEADER_CRIT)) {
    fail("ATTESTATION_INVALID", REASONS.protectedHeader, "COSE protected header lists critical parameters");
  }
  const alg = header.get(COSE_HEADER_ALG);
  if (alg !== COSE_ALG_ES384) {
    const shown = toSafeUint(alg) ?? (typeof alg === "number" ? alg : "(missing)");
    fail("ATTESTATION_INVALID", REASONS.algorithm, `COSE algorithm is ${String(shown)}, expected ES384 (-35)`);
  }
}

const SIGNATURE1 = new TextEncoder().encode("Signature1");

/**
 * The bytes ES384 signs: `["Signature1", protected, h'', payload]` (RFC 9052 §4.4),
 * encoded with definite lengths as RFC 9052 §9 requires.
 */
export function sigStructure(protectedBytes: Uint8Array, payload: Uint8Array): Uint8Array {
  const parts = [
    Uint8Array.of(0x84, 0x60 | SIGNATURE1.length),
    SIGNATURE1,
    bstrHeader(protectedBytes.length),
    protectedBytes,
    Uint8Array.of(0x40),
    bstrHeader(payload.length),
    payload,
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
