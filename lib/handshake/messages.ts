/**
 * Byte layouts of the two handshake messages (docs/protocol.md §Session handshake).
 * Parsing checks the version and the exact fixed-size layout before any crypto, and
 * copies every field (also out of a Buffer), so later changes to the caller's buffer
 * change nothing here.
 */
import {
  DH_BYTES,
  HANDSHAKE_VERSION,
  MAX_MESSAGE1_BYTES,
  MAX_MESSAGE2_BYTES,
  MESSAGE1_FIXED_BYTES,
  MESSAGE1_OFFSETS,
  MESSAGE2_FIXED_BYTES,
  MESSAGE2_OFFSETS,
  MLKEM_CIPHERTEXT_BYTES,
  TAG_BYTES,
} from "./constants";
import { malformed } from "./errors";
import { copy } from "./symmetric-state";

/** Message 1 (device → enclave), split into its fields. */
export interface Message1 {
  /** The device's ephemeral X25519 public key. */
  ephemeral: Uint8Array;
  /** ML-KEM-768 ciphertext to the enclave's static ML-KEM key. */
  kemCiphertext: Uint8Array;
  /** The device's static X25519 public key, encrypted (48 bytes). */
  encryptedStatic: Uint8Array;
  /** The device's payload, encrypted (payload length + 16). */
  encryptedPayload: Uint8Array;
}

/** Message 2 (enclave → device), split into its fields. */
export interface Message2 {
  /** The enclave's ephemeral X25519 public key. */
  ephemeral: Uint8Array;
  /** The enclave's payload, encrypted (payload length + 16). */
  encryptedPayload: Uint8Array;
}

/** `0x01 ‖ e (32) ‖ ML-KEM ciphertext (1088) ‖ enc(s) (48) ‖ enc(payload) (n + 16)`. */
export function encodeMessage1(m: Message1): Uint8Array {
  return concat(Uint8Array.of(HANDSHAKE_VERSION), m.ephemeral, m.kemCiphertext, m.encryptedStatic, m.encryptedPayload);
}

/** `0x01 ‖ e (32) ‖ enc(payload) (n + 16)`. */
export function encodeMessage2(m: Message2): Uint8Array {
  return concat(Uint8Array.of(HANDSHAKE_VERSION), m.ephemeral, m.encryptedPayload);
}

/**
 * @throws VettidError `HANDSHAKE_MALFORMED` for anything but bytes of 1185..5281 bytes
 *   starting with version `0x01`.
 */
export function parseMessage1(bytes: unknown): Message1 {
  checkEnvelope(bytes, MESSAGE1_FIXED_BYTES, MAX_MESSAGE1_BYTES, "message 1");
  const o = MESSAGE1_OFFSETS;
  return {
    ephemeral: copy(bytes, o.ephemeral, o.ephemeral + DH_BYTES),
    kemCiphertext: copy(bytes, o.kemCiphertext, o.kemCiphertext + MLKEM_CIPHERTEXT_BYTES),
    encryptedStatic: copy(bytes, o.encryptedStatic, o.encryptedStatic + DH_BYTES + TAG_BYTES),
    encryptedPayload: copy(bytes, o.encryptedPayload),
  };
}

/**
 * @throws VettidError `HANDSHAKE_MALFORMED` for anything but bytes of 49..4145 bytes
 *   starting with version `0x01`.
 */
export function parseMessage2(bytes: unknown): Message2 {
  checkEnvelope(bytes, MESSAGE2_FIXED_BYTES, MAX_MESSAGE2_BYTES, "message 2");
  const o = MESSAGE2_OFFSETS;
  return {
    ephemeral: copy(bytes, o.ephemeral, o.ephemeral + DH_BYTES),
    encryptedPayload: copy(bytes, o.encryptedPayload),
  };
}

function checkEnvelope(bytes: unknown, min: number, max: number, what: string): asserts bytes is Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw malformed(`${what} must be bytes`);
  if (bytes.length === 0 || bytes[0] !== HANDSHAKE_VERSION) {
    throw malformed(`${what} has version ${bytes[0] ?? "none"}; only version ${HANDSHAKE_VERSION} is accepted`);
  }
  if (bytes.length < min || bytes.length > max) {
    throw malformed(`${what} has ${bytes.length} bytes; it must have ${min}..${max}`);
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
