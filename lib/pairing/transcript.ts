import { sodium } from "../crypto";
import { VettidError } from "../errors";
import {
  FINGERPRINT_BYTES,
  HANDSHAKE_HASH_BYTES,
  PAIRING_LABELS,
  PAIRING_PROOF_BYTES,
  PAIRING_SECRET_BYTES,
  SAS_DIGITS,
} from "./constants";

/** What a pairing MAC covers: the vault, the new device and the session it proves in. */
export interface PairingTranscriptInput {
  vaultId: string;
  /** The new device's id (the request subject's). */
  deviceId: string;
  /** The new device's Ed25519 public key (32 bytes). */
  signingKey: Uint8Array;
  /** The new device's X25519 key, the one its session handshake authenticated (32 bytes). */
  exchangeKey: Uint8Array;
  /** The final handshake hash of that session (64 bytes). */
  handshakeHash: Uint8Array;
}

const encoder = new TextEncoder();

function lp(text: string): Uint8Array {
  const bytes = encoder.encode(text);
  if (bytes.length < 1 || bytes.length > 128) throw new VettidError("VALIDATION_FAILED", "ids are 1..128 bytes");
  const out = new Uint8Array(2 + bytes.length);
  new DataView(out.buffer).setUint16(0, bytes.length);
  out.set(bytes, 2);
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const part of parts) {
    out.set(part, pos);
    pos += part.length;
  }
  return out;
}

function exact(bytes: Uint8Array, length: number, what: string): Uint8Array {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    throw new VettidError("VALIDATION_FAILED", `${what} must be ${length} bytes`);
  }
  return bytes;
}

/**
 * The pairing transcript:
 * `"VETTID-PAIR-1" ‖ lp(vault_id) ‖ lp(device_id) ‖ signingKey (32) ‖ exchangeKey (32) ‖ h (64)`,
 * `lp(x)` = u16 big-endian length of UTF-8 `x` ‖ `x` (as in the handshake prologue).
 */
export function pairingTranscript(input: PairingTranscriptInput): Uint8Array {
  return concat([
    encoder.encode(PAIRING_LABELS.transcript),
    lp(input.vaultId),
    lp(input.deviceId),
    exact(input.signingKey, 32, "signingKey"),
    exact(input.exchangeKey, 32, "exchangeKey"),
    exact(input.handshakeHash, HANDSHAKE_HASH_BYTES, "handshakeHash"),
  ]);
}

function mac(secret: Uint8Array, label: string, transcript: Uint8Array): Uint8Array {
  exact(secret, PAIRING_SECRET_BYTES, "the pairing secret");
  return sodium().crypto_generichash(PAIRING_PROOF_BYTES, concat([encoder.encode(label), transcript]), secret);
}

/**
 * The new device's proof of the secret for its keys and its session:
 * `BLAKE2b-256(key = secret, "VETTID-PAIR-1/proof" ‖ transcript)`. A proof made in one
 * session, or for one key, is worth nothing in another.
 */
export function pairingProof(secret: Uint8Array, input: PairingTranscriptInput): Uint8Array {
  return mac(secret, PAIRING_LABELS.proof, pairingTranscript(input));
}

/**
 * The short authentication string both devices show:
 * `d = BLAKE2b-256(key = secret, "VETTID-PAIR-1/sas" ‖ transcript)`, then
 * `u32be(d[0..4)) mod 10^6`, as 6 decimal digits with leading zeros. (The modulo
 * bias is below 2^-12 per value.)
 */
export function pairingSas(secret: Uint8Array, input: PairingTranscriptInput): string {
  const digest = mac(secret, PAIRING_LABELS.sas, pairingTranscript(input));
  const value = new DataView(digest.buffer, digest.byteOffset, 4).getUint32(0) % 10 ** SAS_DIGITS;
  return value.toString().padStart(SAS_DIGITS, "0");
}

/**
 * A device's key fingerprint, as both devices and `vault devices` show it:
 * `BLAKE2b-128("VETTID-DEVICE-FP-1" ‖ signingKey ‖ exchangeKey)` (unkeyed), as 8
 * groups of 4 lower-case hex digits joined by `:`.
 */
export function deviceFingerprint(signingKey: Uint8Array, exchangeKey: Uint8Array): string {
  const digest = sodium().crypto_generichash(
    FINGERPRINT_BYTES,
    concat([
      encoder.encode(PAIRING_LABELS.fingerprint),
      exact(signingKey, 32, "signingKey"),
      exact(exchangeKey, 32, "exchangeKey"),
    ]),
    null,
  );
  const hex = Buffer.from(digest).toString("hex");
  return (hex.match(/.{4}/g) as string[]).join(":");
}

/** Compares two proofs in constant time (false for different lengths). */
export function proofsEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && sodium().memcmp(a, b);
}
