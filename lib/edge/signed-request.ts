import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import { isUsableEd25519PublicKey } from "./public-keys";

/**
 * Signed device requests (credential refresh, device revocation, pairing invitations): the device signs
 * a canonical message with its registered Ed25519 key. The message binds purpose,
 * the target device, the signer, a timestamp and a random nonce; the edge accepts a
 * timestamp within {@link SIGNED_REQUEST_WINDOW_SECONDS} of its clock and each
 * nonce once (stored with a conditional put and a TTL covering the window).
 */
export const SIGNED_REQUEST_WINDOW_SECONDS = 300;

/** What a signature can authorize. */
export const SIGNED_PURPOSES = {
  credentials: "credentials",
  revoke: "revoke",
  pairing: "pairing",
  vaultIdentity: "vault-identity",
} as const;
export type SignedPurpose = (typeof SIGNED_PURPOSES)[keyof typeof SIGNED_PURPOSES];

/** The fields a signature covers. */
export interface SignedRequestFields {
  purpose: SignedPurpose;
  /** The device the request acts on (path parameter). */
  targetDeviceId: string;
  /** The device whose key signs (equal to the target for credentials). */
  signerDeviceId: string;
  /** ISO 8601 UTC timestamp, as sent. */
  timestamp: string;
  /** base64url random nonce, as sent. */
  nonce: string;
  /**
   * What else the request names, bound by the signature as a last line: the vault's
   * identity key (base64url) for `vault-identity`. Absent for the other purposes,
   * whose message has no such line.
   */
  subject?: string;
}

/** The exact bytes signed: newline-separated, domain-separated, no ambiguity (ids and nonce have no newlines). */
export function canonicalSignedMessage(fields: SignedRequestFields): Uint8Array {
  return new TextEncoder().encode(
    [
      "VETTID-SIGNED-REQUEST-1",
      fields.purpose,
      fields.targetDeviceId,
      fields.signerDeviceId,
      fields.timestamp,
      fields.nonce,
      ...(fields.subject === undefined ? [] : [fields.subject]),
    ].join("\n"),
  );
}

const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

/** A node:crypto public key from raw Ed25519 bytes. */
export function ed25519PublicKey(raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new TypeError("Ed25519 public key must be 32 bytes");
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: "der", type: "spki" });
}

/** A node:crypto private key from a raw 32-byte Ed25519 seed. */
export function ed25519PrivateKey(seed: Uint8Array): KeyObject {
  if (seed.length !== 32) throw new TypeError("Ed25519 seed must be 32 bytes");
  return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" });
}

/** Signs the canonical message (device side); returns base64url. */
export function signRequest(fields: SignedRequestFields, seed: Uint8Array): string {
  return sign(null, canonicalSignedMessage(fields), ed25519PrivateKey(seed)).toString("base64url");
}

/** Verifies a base64url signature over the canonical message; never throws. */
export function verifyRequestSignature(fields: SignedRequestFields, signature: string, publicKey: string): boolean {
  try {
    const sig = Buffer.from(signature, "base64url");
    // a small-order key verifies forged signatures: refuse it even if an old record holds one
    if (sig.length !== 64 || !isUsableEd25519PublicKey(publicKey)) return false;
    return verify(null, canonicalSignedMessage(fields), ed25519PublicKey(Buffer.from(publicKey, "base64url")), sig);
  } catch {
    return false;
  }
}

/** Whether `timestamp` lies within the window around `now` (ms). */
export function isFresh(timestamp: string, now: number): boolean {
  const at = Date.parse(timestamp);
  return Number.isFinite(at) && Math.abs(now - at) <= SIGNED_REQUEST_WINDOW_SECONDS * 1000;
}
