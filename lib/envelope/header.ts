import { VettidError } from "../errors";
import {
  ANSWER_HEADER_BYTES,
  DIRECTIONS,
  ENVELOPE_VERSION,
  MAX_ENVELOPE_BYTES,
  NONCE_BYTES,
  PADDING_BUCKETS,
  REQUEST_HEADER_BYTES,
  TAG_BYTES,
} from "./constants";
import type { Direction } from "./types";

/** The clear header of an envelope: only what routing and the replay checks need. */
export interface EnvelopeHeader {
  direction: Direction;
  counter: number;
  /** For answers (enclave-to-device): the counter of the request answered. */
  requestCounter?: number;
  /** Header bytes; the nonce follows. 10 for a request, 18 for an answer. */
  headerLength: number;
}

/**
 * Encodes `version | direction | counter(u64 BE) [| requestCounter(u64 BE)]`; the
 * request counter is present exactly when the direction is enclave-to-device.
 */
export function encodeHeader(direction: Direction, counter: number, requestCounter?: number): Uint8Array {
  const isAnswer = direction === "enclave-to-device";
  if (isAnswer !== (requestCounter !== undefined)) {
    throw new VettidError("VALIDATION_FAILED", "an answer names its request; a request names none");
  }
  checkCounter(counter);
  const header = new Uint8Array(isAnswer ? ANSWER_HEADER_BYTES : REQUEST_HEADER_BYTES);
  const view = new DataView(header.buffer);
  header[0] = ENVELOPE_VERSION;
  header[1] = DIRECTIONS[direction];
  writeU64(view, 2, counter);
  if (requestCounter !== undefined) {
    checkCounter(requestCounter);
    writeU64(view, REQUEST_HEADER_BYTES, requestCounter);
  }
  return header;
}

/**
 * Parses the clear header of an envelope without authenticating it, and checks that
 * the rest has a possible length (a nonce, then one padding bucket plus the tag).
 * Use only to route; trust nothing from it until the envelope opens.
 *
 * @throws VettidError `ENVELOPE_MALFORMED`.
 */
export function parseEnvelopeHeader(envelope: Uint8Array): EnvelopeHeader {
  if (!(envelope instanceof Uint8Array) || envelope.length < REQUEST_HEADER_BYTES) {
    throw new VettidError("ENVELOPE_MALFORMED", "envelope is too short");
  }
  if (envelope.length > MAX_ENVELOPE_BYTES) throw new VettidError("ENVELOPE_MALFORMED", "envelope is too long");
  if (envelope[0] !== ENVELOPE_VERSION) throw new VettidError("ENVELOPE_MALFORMED", "unsupported envelope version");
  const direction = directionFromWire(envelope[1] as number);
  const headerLength = direction === "enclave-to-device" ? ANSWER_HEADER_BYTES : REQUEST_HEADER_BYTES;
  if (envelope.length < headerLength) throw new VettidError("ENVELOPE_MALFORMED", "envelope is too short");
  const view = new DataView(envelope.buffer, envelope.byteOffset, envelope.byteLength);
  const counter = readU64(view, 2);
  const sealedLength = envelope.length - headerLength - NONCE_BYTES - TAG_BYTES;
  if (!(PADDING_BUCKETS as readonly number[]).includes(sealedLength)) {
    throw new VettidError("ENVELOPE_MALFORMED", "envelope length is not one of the padding buckets");
  }
  if (direction === "device-to-enclave") return { direction, counter, headerLength };
  return { direction, counter, requestCounter: readU64(view, REQUEST_HEADER_BYTES), headerLength };
}

function directionFromWire(value: number): Direction {
  if (value === DIRECTIONS["device-to-enclave"]) return "device-to-enclave";
  if (value === DIRECTIONS["enclave-to-device"]) return "enclave-to-device";
  throw new VettidError("ENVELOPE_MALFORMED", "unknown direction");
}

function checkCounter(counter: number): void {
  if (!Number.isSafeInteger(counter) || counter < 0) {
    throw new VettidError("ENVELOPE_MALFORMED", "counter must be a non-negative safe integer");
  }
}

function writeU64(view: DataView, offset: number, value: number): void {
  view.setUint32(offset, Math.floor(value / 0x1_0000_0000));
  view.setUint32(offset + 4, value >>> 0);
}

/** Reads a u64 BE counter; above 2^53 - 1 it is malformed (no sender can produce it). */
function readU64(view: DataView, offset: number): number {
  const high = view.getUint32(offset);
  if (high > 0x1fffff) throw new VettidError("ENVELOPE_MALFORMED", "counter out of range");
  return high * 0x1_0000_0000 + view.getUint32(offset + 4);
}
