import { Decoder } from "cbor-x";

// Plain CBOR (docs/decisions/0002): maps stay Map so keys can never touch a prototype.
const decoder = new Decoder({ useRecords: false, mapsAsObjects: false });

/**
 * Decodes exactly one CBOR item filling `bytes`. cbor-x throws on truncated input and
 * on trailing bytes; callers narrow the result's types themselves.
 */
export function decodeCbor(bytes: Uint8Array): unknown {
  return decoder.decode(bytes);
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
