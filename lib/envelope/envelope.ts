import { sodium } from "../crypto/sodium";
import { VettidError } from "../errors";
import {
  AD_PREFIX,
  DIRECTIONS,
  ENVELOPE_VERSION,
  FIXED_HEADER_BYTES,
  KEY_BYTES,
  MAX_ID_BYTES,
  MAX_OP_LENGTH,
  MAX_PLAINTEXT_BYTES,
  NONCE_BYTES,
  TAG_BYTES,
} from "./constants";
import type { Direction, EnvelopeContext, OpenedEnvelope } from "./types";

const OP_PATTERN = /^[a-z][a-z0-9_.-]*$/;
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder("utf-8", { fatal: true });

/** Parameters of {@link sealEnvelope}. */
export interface SealParams {
  key: Uint8Array;
  context: EnvelopeContext;
  direction: Direction;
  counter: number;
  op: string;
  plaintext: Uint8Array;
  /** Only for test vectors: a fixed nonce. Production callers leave it out (random). */
  nonce?: Uint8Array;
}

/** Parameters of {@link openEnvelope}. */
export interface OpenParams {
  key: Uint8Array;
  context: EnvelopeContext;
  /** The direction the receiver expects; anything else is rejected before decryption. */
  direction: Direction;
  envelope: Uint8Array;
}

/**
 * Seals `plaintext` with XChaCha20-Poly1305-IETF. The associated data binds the
 * vault, device and session ids, the direction, the counter and the op, so an
 * envelope opens only in exactly the place it was made for.
 *
 * Layout: `version(1) | direction(1) | counter(u64 BE) | opLength(1) | op | nonce(24) | ciphertext+tag`.
 */
export function sealEnvelope(params: SealParams): Uint8Array {
  const { key, context, direction, counter, op, plaintext } = params;
  checkKey(key);
  if (!Number.isSafeInteger(counter) || counter < 0) {
    throw new VettidError("ENVELOPE_MALFORMED", "counter must be a non-negative safe integer");
  }
  checkOp(op);
  if (plaintext.length > MAX_PLAINTEXT_BYTES) {
    throw new VettidError("PAYLOAD_TOO_LARGE", `plaintext exceeds ${MAX_PLAINTEXT_BYTES} bytes`);
  }
  const s = sodium();
  const nonce = params.nonce ?? s.randombytes_buf(NONCE_BYTES);
  if (nonce.length !== NONCE_BYTES) throw new VettidError("ENVELOPE_MALFORMED", "nonce must be 24 bytes");
  const header = encodeHeader(direction, counter, op);
  const ad = associatedData(context, header);
  const ciphertext = s.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, ad, null, nonce, key);
  const out = new Uint8Array(header.length + NONCE_BYTES + ciphertext.length);
  out.set(header, 0);
  out.set(nonce, header.length);
  out.set(ciphertext, header.length + NONCE_BYTES);
  return out;
}

/**
 * Parses the clear header of an envelope without authenticating it. Use only to
 * route; trust nothing from it until {@link openEnvelope} succeeds.
 */
export function parseEnvelopeHeader(envelope: Uint8Array): {
  direction: Direction;
  counter: number;
  op: string;
  headerLength: number;
} {
  if (!(envelope instanceof Uint8Array) || envelope.length < FIXED_HEADER_BYTES + 1 + NONCE_BYTES + TAG_BYTES) {
    throw new VettidError("ENVELOPE_MALFORMED", "envelope is too short");
  }
  if (envelope[0] !== ENVELOPE_VERSION) throw new VettidError("ENVELOPE_MALFORMED", "unsupported envelope version");
  const direction = directionFromWire(envelope[1] as number);
  const view = new DataView(envelope.buffer, envelope.byteOffset, envelope.byteLength);
  const high = view.getUint32(2);
  const low = view.getUint32(6);
  if (high > 0x1fffff) throw new VettidError("ENVELOPE_MALFORMED", "counter out of range");
  const counter = high * 0x1_0000_0000 + low;
  const opLength = envelope[10] as number;
  if (opLength === 0 || opLength > MAX_OP_LENGTH) throw new VettidError("ENVELOPE_MALFORMED", "bad op length");
  const headerLength = FIXED_HEADER_BYTES + opLength;
  if (envelope.length < headerLength + NONCE_BYTES + TAG_BYTES) {
    throw new VettidError("ENVELOPE_MALFORMED", "envelope is truncated");
  }
  let op: string;
  try {
    op = textDecoder.decode(envelope.subarray(FIXED_HEADER_BYTES, headerLength));
  } catch {
    throw new VettidError("ENVELOPE_MALFORMED", "op is not UTF-8");
  }
  checkOp(op, "ENVELOPE_MALFORMED");
  return { direction, counter, op, headerLength };
}

/**
 * Authenticates and decrypts an envelope. It does not check for replays: use a
 * {@link ReplayWindow} (or {@link SealedChannel}, which does both).
 *
 * @throws VettidError `ENVELOPE_MALFORMED`, `ENVELOPE_WRONG_DIRECTION` or `ENVELOPE_AUTH_FAILED`.
 */
export function openEnvelope(params: OpenParams): OpenedEnvelope {
  const { key, context, envelope } = params;
  checkKey(key);
  const header = parseEnvelopeHeader(envelope);
  if (header.direction !== params.direction) {
    throw new VettidError("ENVELOPE_WRONG_DIRECTION", `expected ${params.direction}, got ${header.direction}`);
  }
  const headerBytes = envelope.subarray(0, header.headerLength);
  const nonce = envelope.subarray(header.headerLength, header.headerLength + NONCE_BYTES);
  const ciphertext = envelope.subarray(header.headerLength + NONCE_BYTES);
  const ad = associatedData(context, headerBytes);
  let plaintext: Uint8Array;
  try {
    plaintext = sodium().crypto_aead_xchacha20poly1305_ietf_decrypt(null, ciphertext, ad, nonce, key);
  } catch {
    throw new VettidError("ENVELOPE_AUTH_FAILED", "envelope failed authentication");
  }
  return { direction: header.direction, counter: header.counter, op: header.op, plaintext };
}

function encodeHeader(direction: Direction, counter: number, op: string): Uint8Array {
  const opBytes = textEncoder.encode(op);
  const header = new Uint8Array(FIXED_HEADER_BYTES + opBytes.length);
  const view = new DataView(header.buffer);
  header[0] = ENVELOPE_VERSION;
  header[1] = DIRECTIONS[direction];
  view.setUint32(2, Math.floor(counter / 0x1_0000_0000));
  view.setUint32(6, counter >>> 0);
  header[10] = opBytes.length;
  header.set(opBytes, FIXED_HEADER_BYTES);
  return header;
}

/**
 * `AD_PREFIX | lp(vaultId) | lp(deviceId) | lp(sessionId) | header`, where `lp` is a
 * 2-byte big-endian length followed by the UTF-8 bytes.
 */
export function associatedData(context: EnvelopeContext, header: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [textEncoder.encode(AD_PREFIX)];
  for (const id of [context.vaultId, context.deviceId, context.sessionId]) {
    const bytes = textEncoder.encode(id);
    if (bytes.length === 0 || bytes.length > MAX_ID_BYTES) {
      throw new VettidError("ENVELOPE_MALFORMED", "ids must be 1 to 128 bytes");
    }
    const lp = new Uint8Array(2 + bytes.length);
    lp[0] = bytes.length >> 8;
    lp[1] = bytes.length & 0xff;
    lp.set(bytes, 2);
    parts.push(lp);
  }
  parts.push(header);
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function directionFromWire(value: number): Direction {
  if (value === DIRECTIONS["device-to-enclave"]) return "device-to-enclave";
  if (value === DIRECTIONS["enclave-to-device"]) return "enclave-to-device";
  throw new VettidError("ENVELOPE_MALFORMED", "unknown direction");
}

function checkKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) {
    throw new VettidError("ENVELOPE_MALFORMED", "key must be 32 bytes");
  }
}

function checkOp(op: string, code: "ENVELOPE_MALFORMED" | "VALIDATION_FAILED" = "VALIDATION_FAILED"): void {
  if (op.length === 0 || op.length > MAX_OP_LENGTH || !OP_PATTERN.test(op)) {
    throw new VettidError(code, "op must be a short lower-case name");
  }
}
