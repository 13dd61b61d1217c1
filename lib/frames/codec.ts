import { Decoder, Encoder } from "cbor-x";
import { type CborError, createStrictCborCheck, isCborError, type StrictCborCheck } from "../cbor";
import {
  CHANNELS,
  FRAME_VERSION,
  LENGTH_PREFIX_BYTES,
  MAX_BODY_DEPTH,
  MAX_FRAME_BYTES,
  MAX_REQUEST_ID,
  MAX_TYPE_LENGTH,
  MIN_BODY_BYTES,
} from "./constants";
import { FrameError } from "./errors";
import type { Channel, Frame, FrameLimits, FrameValue } from "./types";

// Plain CBOR only: no cbor-x record extension, byte strings untagged, maps kept as
// Map on decode so keys such as "__proto__" can never touch a prototype.
const encoder = new Encoder({ useRecords: false, tagUint8Array: false, pack: false, variableMapSize: true });
const decoder = new Decoder({ useRecords: false, mapsAsObjects: false });

/**
 * Strict CBOR before cbor-x (docs/decisions/0050): no tags at all, text keys only, no
 * duplicate keys, no indefinite lengths. Nesting: the body's limit plus one for the
 * frame's own array. Item budget: the default, one item per body byte, so the work
 * cbor-x and {@link toFrameValue} do stays proportional to the frame's length. One
 * check per depth limit in use (normally just the default).
 */
const strictChecks = new Map<number, StrictCborCheck>();

function strictCheck(maxBodyDepth: number): StrictCborCheck {
  let check = strictChecks.get(maxBodyDepth);
  if (check === undefined) {
    check = createStrictCborCheck({ mapKeys: ["text"], maxDepth: maxBodyDepth + 1 });
    strictChecks.set(maxBodyDepth, check);
  }
  return check;
}

const channelSet: ReadonlySet<string> = new Set(CHANNELS);
const TYPE_PATTERN = /^[a-z][a-z0-9_.-]*$/;

/** True when `value` names a known channel. */
export function isChannel(value: unknown): value is Channel {
  return typeof value === "string" && channelSet.has(value);
}

/**
 * Encodes one frame with its length prefix.
 *
 * @throws FrameError `FRAME_TOO_LARGE` when the result would exceed the limit,
 *   `FRAME_MALFORMED` when the header fields are out of range.
 */
export function encodeFrame(frame: Omit<Frame, "version">, limits: FrameLimits = {}): Buffer {
  const max = limits.maxFrameBytes ?? MAX_FRAME_BYTES;
  checkHeader(frame.channel, frame.id, frame.type);
  const body = encoder.encode([FRAME_VERSION, frame.channel, frame.id, frame.type, frame.body]);
  const total = LENGTH_PREFIX_BYTES + body.length;
  if (total > max) {
    throw new FrameError("FRAME_TOO_LARGE", `frame of ${total} bytes exceeds ${max}`);
  }
  const out = Buffer.allocUnsafe(total);
  out.writeUInt32BE(body.length, 0);
  out.set(body, LENGTH_PREFIX_BYTES);
  return out;
}

/**
 * Decodes one frame body (the bytes after the length prefix). The bytes must be strict
 * CBOR (docs/protocol.md §Frames) before cbor-x sees them, so a frame costs work and
 * memory proportional to its length.
 *
 * @throws FrameError on any deviation from the frame layout; `FRAME_MALFORMED` with the
 *   {@link CborError} as its cause when the bytes are not strict CBOR.
 */
export function decodeFrameBody(bytes: Uint8Array, limits: FrameLimits = {}): Frame {
  if (bytes.length < MIN_BODY_BYTES) {
    throw new FrameError("FRAME_MALFORMED", `frame body of ${bytes.length} bytes is too short`);
  }
  const maxDepth = limits.maxDepth ?? MAX_BODY_DEPTH;
  const check = strictCheck(maxDepth);
  try {
    check(bytes);
  } catch (err) {
    const reason = isCborError(err) ? ` (${err.reason})` : "";
    throw new FrameError("FRAME_MALFORMED", `frame body is not strict CBOR${reason}`, err);
  }
  let raw: unknown;
  try {
    raw = decoder.decode(bytes);
  } catch (err) {
    throw new FrameError("FRAME_MALFORMED", "frame body is not valid CBOR", err);
  }
  if (!Array.isArray(raw) || raw.length !== 5) {
    throw new FrameError("FRAME_MALFORMED", "frame body must be a CBOR array of 5 items");
  }
  const [version, channel, id, type, body] = raw as unknown[];
  if (version !== FRAME_VERSION) {
    throw new FrameError("FRAME_UNSUPPORTED_VERSION", `frame version ${String(version).slice(0, 16)} is not supported`);
  }
  checkHeader(channel, id, type);
  return {
    version: FRAME_VERSION,
    channel,
    id: id as number,
    type: type as string,
    body: toFrameValue(body, maxDepth),
  };
}

function checkHeader(channel: unknown, id: unknown, type: unknown): asserts channel is Channel {
  if (!isChannel(channel)) throw new FrameError("FRAME_MALFORMED", "unknown frame channel");
  if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id > MAX_REQUEST_ID) {
    throw new FrameError("FRAME_MALFORMED", "frame id must be an unsigned 32-bit integer");
  }
  if (typeof type !== "string" || type.length === 0 || type.length > MAX_TYPE_LENGTH || !TYPE_PATTERN.test(type)) {
    throw new FrameError("FRAME_MALFORMED", "frame type must be a short lower-case name");
  }
}

/** Attributes of a property created by assignment (and by `Object.fromEntries`). */
const OWN_DATA = { enumerable: true, writable: true, configurable: true } as const;

/**
 * Converts a decoded CBOR value to a {@link FrameValue}: Maps with string keys
 * become plain objects (own data properties only), byte strings stay bytes, and
 * anything else (tags, undefined, bigint, sets, dates, non-finite numbers) is refused.
 */
function toFrameValue(value: unknown, depthLeft: number): FrameValue {
  if (value === null || typeof value === "boolean" || typeof value === "string") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new FrameError("FRAME_MALFORMED", "non-finite number in frame body");
    return value;
  }
  if (value instanceof Uint8Array) return value;
  if (depthLeft <= 0) throw new FrameError("FRAME_MALFORMED", "frame body is nested too deeply");
  if (Array.isArray(value)) return value.map((item) => toFrameValue(item, depthLeft - 1));
  if (value instanceof Map) {
    const record: { [key: string]: FrameValue } = {};
    for (const [key, item] of value) {
      if (typeof key !== "string") throw new FrameError("FRAME_MALFORMED", "frame body map keys must be strings");
      const converted = toFrameValue(item, depthLeft - 1);
      // Plain assignment creates an own data property unless Object.prototype has
      // something by that name (`__proto__` is a setter): define those explicitly.
      if (key in Object.prototype) Object.defineProperty(record, key, { ...OWN_DATA, value: converted });
      else record[key] = converted;
    }
    return record;
  }
  throw new FrameError("FRAME_MALFORMED", "frame body holds an unsupported CBOR item");
}
