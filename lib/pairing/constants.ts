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
  /** The vault identity key's fingerprint a pairing code carries. */
  identityFingerprint: "VETTID-IDENTITY-FP-1",
  /** The checksum of a pairing code. */
  code: "VETTID-PAIR-CODE-1",
} as const;

/** Bytes of the final handshake hash the transcript binds (lib/handshake, BLAKE2b-512). */
export const HANDSHAKE_HASH_BYTES = 64;

/** Bytes of a device key fingerprint (shown as 8 groups of 4 hex digits). */
export const FINGERPRINT_BYTES = 16;

/** Bytes of the vault identity fingerprint a pairing code carries (80 bits, 16 symbols). */
export const IDENTITY_FINGERPRINT_BYTES = 10;

/** Symbols of the edge invitation code (lib/edge, 80 bits). */
export const INVITATION_SYMBOLS = 16;

/** Checksum symbols of a pairing code (20 bits: a mistyped code passes once in a million). */
export const PAIRING_CODE_CHECKSUM_SYMBOLS = 4;

/**
 * Symbols of a pairing code: invitation 16 + secret 32 (20 bytes × 8 / 5) +
 * identity fingerprint 16 (10 bytes × 8 / 5) + checksum 4 = 68, in 17 groups of four.
 */
export const PAIRING_CODE_SYMBOLS =
  INVITATION_SYMBOLS +
  (PAIRING_SECRET_BYTES * 8) / 5 +
  (IDENTITY_FINGERPRINT_BYTES * 8) / 5 +
  PAIRING_CODE_CHECKSUM_SYMBOLS;
