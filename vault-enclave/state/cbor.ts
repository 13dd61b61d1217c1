import { createStrictCborCheck, isCborError, plainDecoder, plainEncoder } from "../../lib/cbor";
import { MAX_PAYLOAD_DEPTH } from "./constants";
import { STATE_REJECTIONS, StateInvalid } from "./errors";

/**
 * The plaintext payloads of the state layers as deterministic CBOR (RFC 8949 §4.2.1):
 * maps with text keys in bytewise order of their encodings, integers in their
 * shortest form, definite lengths, no tags, no floats. Same state, same bytes.
 *
 * Decoding runs the strict pre-pass (lib/cbor) before cbor-x and copies every byte
 * string out of the decrypted buffer, so the caller can wipe that buffer at once.
 */

/** What a payload may contain. Plain objects become maps; numbers must be non-negative safe integers. */
export type PayloadValue = null | boolean | number | string | Uint8Array | PayloadValue[] | PayloadObject;
export interface PayloadObject {
  [key: string]: PayloadValue;
}

const encoder = plainEncoder;
const decoder = plainDecoder;

/** Strict CBOR before cbor-x: text keys, no tags, no duplicates, definite lengths, bounded depth and items. */
const checkPayload = createStrictCborCheck({ mapKeys: ["text"], maxDepth: MAX_PAYLOAD_DEPTH });

const UINT32_MAX = 0xffff_ffff;

/**
 * Encodes `value` deterministically. cbor-x writes a number above 2^32 − 1 as a
 * float, so those go in as BigInt, which it writes as an 8-byte unsigned integer (the
 * shortest form for them).
 *
 * @throws TypeError for a value outside {@link PayloadValue} (a float, a negative number, a function…).
 */
export function encodePayload(value: PayloadValue): Uint8Array {
  return encoder.encode(toCanonical(value));
}

function toCanonical(value: PayloadValue): unknown {
  if (value === null || typeof value === "boolean" || typeof value === "string") return value;
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 0) throw new TypeError("payload numbers are non-negative integers");
    return value > UINT32_MAX ? BigInt(value) : value;
  }
  if (value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map(toCanonical);
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const keys = Object.keys(value).sort(compareKeys);
    return new Map(keys.map((key) => [key, toCanonical(value[key] as PayloadValue)]));
  }
  throw new TypeError("unsupported payload value");
}

/**
 * RFC 8949 §4.2.1 order for text keys: shorter encodings first, then bytewise. Keys
 * here are ASCII, so that is: shorter first, then by code unit.
 */
function compareKeys(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Decodes one payload into plain values: maps become objects whose keys are own data
 * properties (a `__proto__` key is just a key, and a strict schema refuses it), byte
 * strings fresh `Uint8Array` copies, 8-byte integers numbers.
 *
 * @throws StateInvalid `payload_invalid` when the bytes are not strict CBOR or hold a
 *   value no format uses (an integer beyond 2^53 − 1 or in a longer form than needed).
 */
export function decodePayload(bytes: Uint8Array): unknown {
  try {
    checkPayload(bytes);
  } catch (err) {
    const reason = isCborError(err) ? err.reason : "unchecked";
    throw new StateInvalid(STATE_REJECTIONS.payloadInvalid, `payload is not strict CBOR (${reason})`, err);
  }
  let raw: unknown;
  try {
    raw = decoder.decode(bytes);
  } catch (err) {
    throw new StateInvalid(STATE_REJECTIONS.payloadInvalid, "payload does not decode", err);
  }
  return fromDecoded(raw);
}

function fromDecoded(value: unknown): unknown {
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (typeof value === "bigint") {
    if (value <= BigInt(UINT32_MAX) || value > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new StateInvalid(STATE_REJECTIONS.payloadInvalid, "payload integer out of range or not in shortest form");
    }
    return Number(value);
  }
  if (Array.isArray(value)) return value.map(fromDecoded);
  if (value instanceof Map) {
    const entries: [string, unknown][] = [];
    for (const [key, item] of value) entries.push([key as string, fromDecoded(item)]);
    return Object.fromEntries(entries);
  }
  return value;
}
