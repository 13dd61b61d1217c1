import { sodium } from "../crypto/sodium";
import { ATTESTATION_DIGEST_BYTES, MAX_ID_BYTES, PROLOGUE_LABEL } from "./constants";
import { invalidInput, rejectUnknownFields } from "./errors";
import type { HandshakeContext } from "./types";

/**
 * SHA-256 of the exact attestation document bytes (the COSE_Sign1 as received,
 * before any decoding), for {@link HandshakeContext.attestationDigest}.
 *
 * @example
 * const verified = await verifyAttestation(documentBytes, { expectedNonce, manifest });
 * const context = { vaultId, deviceId, attestationDigest: attestationDigest(documentBytes) };
 */
export function attestationDigest(document: Uint8Array): Uint8Array {
  if (!(document instanceof Uint8Array) || document.length === 0) {
    throw invalidInput("the attestation document must be non-empty bytes");
  }
  return sodium().crypto_hash_sha256(document);
}

/**
 * The handshake prologue, `MixHash`ed right after the protocol name:
 *
 * ```
 * "VETTID-HANDSHAKE-1" ‖ lp(vaultId) ‖ lp(deviceId) ‖ attestationDigest (32)
 * lp(x) = u16 big-endian byte length of UTF-8 x (1..128) ‖ UTF-8 x
 * ```
 *
 * @throws VettidError `VALIDATION_FAILED` for an empty or too long id, or a digest that is not 32 bytes.
 */
export function handshakePrologue(context: HandshakeContext): Uint8Array {
  if (typeof context !== "object" || context === null) throw invalidInput("the handshake context is missing");
  rejectUnknownFields(context, ["vaultId", "deviceId", "attestationDigest"], "handshake context");
  const vault = lengthPrefixed(context.vaultId, "vaultId");
  const device = lengthPrefixed(context.deviceId, "deviceId");
  const digest = context.attestationDigest;
  if (!(digest instanceof Uint8Array) || digest.length !== ATTESTATION_DIGEST_BYTES) {
    throw invalidInput("attestationDigest must be the 32-byte SHA-256 of the attestation document");
  }
  const label = new TextEncoder().encode(PROLOGUE_LABEL);
  const out = new Uint8Array(label.length + vault.length + device.length + digest.length);
  out.set(label, 0);
  out.set(vault, label.length);
  out.set(device, label.length + vault.length);
  out.set(digest, label.length + vault.length + device.length);
  return out;
}

function lengthPrefixed(value: unknown, name: string): Uint8Array {
  if (typeof value !== "string") throw invalidInput(`${name} must be a string`);
  const bytes = new TextEncoder().encode(value);
  if (bytes.length < 1 || bytes.length > MAX_ID_BYTES) throw invalidInput(`${name} must have 1..${MAX_ID_BYTES} bytes`);
  const out = new Uint8Array(2 + bytes.length);
  new DataView(out.buffer).setUint16(0, bytes.length, false);
  out.set(bytes, 2);
  return out;
}
