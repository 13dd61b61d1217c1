import { Decoder } from "cbor-x";
import { createStrictCborCheck, isCborError, type StrictCborCheck } from "../cbor";
import { COSE_SIGN1_TAG } from "./constants";

// Plain CBOR (docs/decisions/0002): maps stay Map so keys can never touch a prototype.
const decoder = new Decoder({ useRecords: false, mapsAsObjects: false });

/**
 * The strict-CBOR rules of each part of an attestation document (docs/decisions/0050),
 * checked before cbor-x decodes that part. Item budgets are the default, one per byte.
 */
export const STRICT_CBOR = {
  /**
   * COSE_Sign1 (RFC 9052 §4.2): tag 18 on the outermost item only, where COSE_Sign1
   * permits it; header labels are integers or text (RFC 9052 §3). Depth 3: the tag,
   * the array, the unprotected header map.
   */
  document: createStrictCborCheck({ outermostTags: [COSE_SIGN1_TAG], mapKeys: ["int", "text"], maxDepth: 3 }),
  /**
   * The protected header: integer labels only (AWS sends `{1: -35}`), no tags. Depth 2:
   * the map and a `crit` array, which is then refused with its own message.
   */
  protectedHeader: createStrictCborCheck({ mapKeys: ["int"], maxDepth: 2 }),
  /**
   * The payload (`docs/attestation_process.md` §3.2): text keys at the top (checked by
   * `parsePayload`), integer keys in `pcrs`, no tags. Indefinite-length maps and arrays
   * are accepted because recent NSM versions emit the payload map that way (0xbf … 0xff);
   * duplicate keys are refused in them as anywhere. Depth 4: the map and `pcrs` or
   * `cabundle` need 2; two more leave room for a small unknown signed field.
   */
  payload: createStrictCborCheck({ mapKeys: ["text", "int"], maxDepth: 4, indefiniteContainers: true }),
} as const;

/**
 * Decodes exactly one CBOR item filling `bytes`, after `check` has found it strict
 * (which also refuses truncated input and trailing bytes); callers narrow the
 * result's types themselves.
 *
 * @throws CborError when the bytes break a rule of `check`; whatever cbor-x throws.
 */
export function decodeCbor(bytes: Uint8Array, check: StrictCborCheck): unknown {
  check(bytes);
  return decoder.decode(bytes);
}

/** ` (reason)` naming the strict-CBOR rule `err` reports, for error messages; `""` for other errors. */
export function cborReasonSuffix(err: unknown): string {
  return isCborError(err) ? ` (${err.reason})` : "";
}

/** The CBOR header of a byte string of `length` bytes (RFC 8949 §3.1, major type 2). */
export function bstrHeader(length: number): Uint8Array {
  if (length < 24) return Uint8Array.of(0x40 | length);
  if (length < 0x100) return Uint8Array.of(0x58, length);
  if (length < 0x10000) return Uint8Array.of(0x59, length >> 8, length & 0xff);
  return Uint8Array.of(0x5a, (length >>> 24) & 0xff, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff);
}

/** Narrows a CBOR value to a byte string. */
export function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array;
}

/** Narrows a CBOR unsigned integer (cbor-x yields bigint for 64-bit encodings) to a safe number. */
export function toSafeUint(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value === "bigint") {
    return value >= 0n && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : undefined;
  }
  return undefined;
}
