import { createStrictCborCheck, isCborError, plainDecoder, plainEncoder } from "../cbor";
import { VettidError } from "../errors";
import { MAX_BODY_DEPTH, MAX_MESSAGE_BYTES } from "./constants";

/** A decoded value of this protocol: the JSON data model plus byte strings; maps have text keys. */
export type WireValue = null | boolean | number | string | Uint8Array | WireValue[] | WireMap;
export interface WireMap {
  [key: string]: WireValue;
}

const encoder = plainEncoder;
const decoder = plainDecoder;

/** Strict CBOR before cbor-x (lib/cbor): text keys, no tags, no duplicates, definite lengths, bounded. */
const check = createStrictCborCheck({ mapKeys: ["text"], maxDepth: MAX_BODY_DEPTH });

/** Encodes a protocol value as CBOR (byte strings as major type 2, maps with text keys). */
export function encodeWire(value: WireMap): Uint8Array {
  return new Uint8Array(encoder.encode(value));
}

/**
 * Decodes one CBOR map from an untrusted peer: strict pre-pass first, then cbor-x,
 * then a copy into plain objects with own data properties only.
 * @throws VettidError `BAD_REQUEST` on anything else.
 */
export function decodeWire(bytes: Uint8Array): WireMap {
  if (bytes.length === 0 || bytes.length > MAX_MESSAGE_BYTES) {
    throw new VettidError("BAD_REQUEST", "message is empty or too large");
  }
  try {
    check(bytes);
  } catch (err) {
    if (isCborError(err)) throw new VettidError("BAD_REQUEST", `message is not strict CBOR (${err.reason})`);
    throw err;
  }
  let raw: unknown;
  try {
    raw = decoder.decode(bytes);
  } catch {
    throw new VettidError("BAD_REQUEST", "message is not CBOR");
  }
  const value = toWire(raw);
  if (typeof value !== "object" || value === null || Array.isArray(value) || value instanceof Uint8Array) {
    throw new VettidError("BAD_REQUEST", "message must be a map");
  }
  return value;
}

function toWire(value: unknown): WireValue {
  if (value === null || typeof value === "boolean" || typeof value === "string") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new VettidError("BAD_REQUEST", "non-finite number");
    return value;
  }
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (Array.isArray(value)) return value.map(toWire);
  if (value instanceof Map) {
    const out: WireMap = Object.create(null) as WireMap;
    for (const [key, item] of value) out[key as string] = toWire(item);
    return out;
  }
  throw new VettidError("BAD_REQUEST", "unsupported CBOR item");
}
