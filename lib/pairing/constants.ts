/**
 * Pairing a new device with a vault (docs/protocol.md §Pairing, docs/decisions/0061):
 * the labels and sizes both sides must agree on. Part of version 1 of pairing; a
 * change is a new version.
 */

/** Version of the pairing construction (the `1` in every label). */
export const PAIRING_VERSION = 1;

/**
 * Bytes of the pairing secret the enclave draws: 160 bits, above the 128 the design
 * asks for, and exactly 32 Crockford base32 symbols (5 bits each), so the code has no
 * padding symbol.
 */
export const PAIRING_SECRET_BYTES = 20;

/** The proof the new device sends: keyed BLAKE2b-256. */
export const PAIRING_PROOF_BYTES = 32;

/** Digits of the short authentication string both devices show. */
export const SAS_DIGITS = 6;

/** Domain labels (ASCII, no terminator). */
export const PAIRING_LABELS = {
  /** Starts the transcript every pairing MAC covers. */
  transcript: "VETTID-PAIR-1",
  /** The proof of knowledge of the secret, for the new device's key and session. */
  proof: "VETTID-PAIR-1/proof",
  /** The short authentication string. */
  sas: "VETTID-PAIR-1/sas",
  /** A device key's fingerprint. */
  fingerprint: "VETTID-DEVICE-FP-1",
} as const;

/** Bytes of the final handshake hash the transcript binds (lib/handshake, BLAKE2b-512). */
export const HANDSHAKE_HASH_BYTES = 64;

/** Bytes of a device key fingerprint (shown as 8 groups of 4 hex digits). */
export const FINGERPRINT_BYTES = 16;
