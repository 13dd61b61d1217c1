/**
 * A minimal, strict DER reader: just enough of X.690 to pull validity, basic
 * constraints and key usage out of an X.509 certificate that OpenSSL has already
 * parsed. Every read is bounds-checked; anything unexpected throws {@link DerError}.
 */

/** Raised on any malformed or unexpected DER. */
export class DerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DerError";
  }
}

/** One tag-length-value element. `start`/`end` delimit its contents within `bytes`. */
export interface Tlv {
  tag: number;
  /** Offset of the tag byte (the element's first byte). */
  offset: number;
  start: number;
  end: number;
  /** Offset just after this element. */
  next: number;
}

/** DER tags used by certificates. */
export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  OID: 0x06,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  CONTEXT_0: 0xa0,
  CONTEXT_1: 0x81,
  CONTEXT_2: 0x82,
  CONTEXT_3: 0xa3,
} as const;

/**
 * Reads the element at `offset`, which must end at or before `limit`.
 * Only single-byte tags and definite lengths of up to 4 bytes (DER) are accepted.
 */
export function readTlv(bytes: Uint8Array, offset: number, limit: number = bytes.length): Tlv {
  if (offset + 2 > limit) throw new DerError("truncated element");
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError("multi-byte tags are not used in certificates");
  let length = bytes[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw new DerError("indefinite or oversized length");
    if (start + count > limit) throw new DerError("truncated length");
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[start + i]!;
    if (length < 0x80 || (count > 1 && bytes[start] === 0)) throw new DerError("non-minimal length");
    start += count;
  }
  const end = start + length;
  if (end > limit) throw new DerError("element overruns its container");
  return { tag, offset, start, end, next: end };
}

/** Reads the element at `offset` and checks its tag. */
export function expectTlv(bytes: Uint8Array, offset: number, tag: number, limit?: number): Tlv {
  const tlv = readTlv(bytes, offset, limit);
  if (tlv.tag !== tag) {
    throw new DerError(`expected tag 0x${tag.toString(16)}, found 0x${tlv.tag.toString(16)}`);
  }
  return tlv;
}

/** The children of a constructed element. */
export function children(bytes: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  let offset = parent.start;
  while (offset < parent.end) {
    const tlv = readTlv(bytes, offset, parent.end);
    out.push(tlv);
    offset = tlv.next;
  }
  return out;
}

/** True when the contents of `tlv` equal `expected`. */
export function contentEquals(bytes: Uint8Array, tlv: Tlv, expected: Uint8Array): boolean {
  if (tlv.end - tlv.start !== expected.length) return false;
  for (let i = 0; i < expected.length; i++) if (bytes[tlv.start + i] !== expected[i]) return false;
  return true;
}

/** Decodes a UTCTime or GeneralizedTime (both must end in `Z`, seconds present) to ms since the epoch. */
export function readTime(bytes: Uint8Array, tlv: Tlv): number {
  const text = String.fromCharCode(...bytes.subarray(tlv.start, tlv.end));
  let match: RegExpExecArray | null;
  let year: number;
  if (tlv.tag === TAG.UTC_TIME) {
    match = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
    if (!match) throw new DerError("malformed UTCTime");
    const yy = Number(match[1]);
    year = yy >= 50 ? 1900 + yy : 2000 + yy; // RFC 5280 §4.1.2.5.1
  } else if (tlv.tag === TAG.GENERALIZED_TIME) {
    match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
    if (!match) throw new DerError("malformed GeneralizedTime");
    year = Number(match[1]);
  } else {
    throw new DerError("expected a time");
  }
  const [, , mo, d, h, mi, s] = match.map(Number) as number[];
  const ms = Date.UTC(year, mo! - 1, d!, h!, mi!, s!);
  const check = new Date(ms);
  if (check.getUTCMonth() !== mo! - 1 || check.getUTCDate() !== d! || h! > 23 || mi! > 59 || s! > 59) {
    throw new DerError("time out of range");
  }
  return ms;
}

/** Decodes a small non-negative INTEGER (used for pathLenConstraint). */
export function readSmallUint(bytes: Uint8Array, tlv: Tlv): number {
  const length = tlv.end - tlv.start;
  if (length < 1 || length > 4) throw new DerError("integer out of range");
  if (bytes[tlv.start]! & 0x80) throw new DerError("negative integer");
  if (length > 1 && bytes[tlv.start] === 0 && !(bytes[tlv.start + 1]! & 0x80)) {
    throw new DerError("non-minimal integer");
  }
  let value = 0;
  for (let i = tlv.start; i < tlv.end; i++) value = value * 256 + bytes[i]!;
  return value;
}
