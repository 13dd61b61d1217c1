/** Envelope layout version (first byte of every envelope). */
export const ENVELOPE_VERSION = 1;

/** Wire values of the two directions. */
export const DIRECTIONS = {
  "device-to-enclave": 1,
  "enclave-to-device": 2,
} as const;

/** Domain separation prefix of the associated data. */
export const AD_PREFIX = "VETTID-ENV-1";

/** XChaCha20-Poly1305-IETF nonce and tag sizes (libsodium constants). */
export const NONCE_BYTES = 24;
export const TAG_BYTES = 16;
export const KEY_BYTES = 32;

/** Longest op name: ops are short dotted names such as `items.put`. */
export const MAX_OP_LENGTH = 64;

/** Longest vault, device or session id in bytes (ids are UUIDs or base32 keys). */
export const MAX_ID_BYTES = 128;

/**
 * Largest plaintext: a vault reply must fit one NATS message (1 MiB default
 * `max_payload`) after the header (at most 1 + 1 + 8 + 1 + 64 + 24 = 99 bytes) and
 * the 16-byte tag; 1 MiB - 4 KiB leaves room for NATS headers.
 */
export const MAX_PLAINTEXT_BYTES = 1_048_576 - 4_096;

/** Fixed header bytes before the op name: version, direction, counter (u64 BE), op length. */
export const FIXED_HEADER_BYTES = 1 + 1 + 8 + 1;

/** Default number of counters below the highest one that may still arrive (reordering tolerance). */
export const DEFAULT_WINDOW_SIZE = 64;
