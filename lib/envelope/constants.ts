/** Envelope layout version (first byte of every envelope). There is no other accepted version. */
export const ENVELOPE_VERSION = 2;

/**
 * Wire values of the two directions. Every device-to-enclave envelope is a request;
 * every enclave-to-device envelope is the answer to exactly one request.
 */
export const DIRECTIONS = {
  "device-to-enclave": 1,
  "enclave-to-device": 2,
} as const;

/** Domain separation prefix of the associated data. */
export const AD_PREFIX = "VETTID-ENV-2";

/** XChaCha20-Poly1305-IETF nonce, tag and key sizes (libsodium constants). */
export const NONCE_BYTES = 24;
export const TAG_BYTES = 16;
export const KEY_BYTES = 32;

/** Size of the request digest bound into an answer: BLAKE2b-256 (`crypto_generichash`, 32 bytes). */
export const DIGEST_BYTES = 32;

/** Longest op name: ops are short dotted names such as `items.put`. */
export const MAX_OP_LENGTH = 64;

/** Longest vault, device or session id in bytes (ids are UUIDs or base32 keys). */
export const MAX_ID_BYTES = 128;

/** Clear header of a request: version(1) + direction(1) + counter(u64 BE, 8) = 10. */
export const REQUEST_HEADER_BYTES = 1 + 1 + 8;

/** Clear header of an answer: the request header + the answered request's counter (u64 BE, 8) = 18. */
export const ANSWER_HEADER_BYTES = REQUEST_HEADER_BYTES + 8;

/**
 * Inner framing around the body, at its largest: opLength(1) + op(at most 64) +
 * bodyLength(u32 BE, 4) = 69. The padding bucket is chosen from the body length plus
 * this maximum, so the op's length never moves a message into another bucket.
 */
export const MAX_INNER_FRAMING_BYTES = 1 + MAX_OP_LENGTH + 4;

/** NATS `max_payload` (the default, and this deployment's account limit): 1 MiB. */
export const NATS_MAX_PAYLOAD_BYTES = 1_048_576;

/** Room left in a NATS message for its headers (NATS counts headers against `max_payload`): 4 KiB. */
export const NATS_HEADER_ALLOWANCE_BYTES = 4_096;

/** Largest envelope on the wire: 1 MiB - 4 KiB = 1_044_480 bytes. */
export const MAX_ENVELOPE_BYTES = NATS_MAX_PAYLOAD_BYTES - NATS_HEADER_ALLOWANCE_BYTES;

/**
 * Largest padded inner plaintext (the top bucket): what is left of the largest
 * envelope after the longer (answer) header, the nonce and the tag:
 * 1_044_480 - 18 - 24 - 16 = 1_044_422 bytes.
 */
export const MAX_INNER_BYTES = MAX_ENVELOPE_BYTES - ANSWER_HEADER_BYTES - NONCE_BYTES - TAG_BYTES;

/**
 * Largest body (the caller's plaintext): the top bucket minus the largest inner
 * framing, 1_044_422 - 69 = 1_044_353 bytes, so that any op with any body up to
 * this size fits one NATS message in either direction.
 */
export const MAX_PLAINTEXT_BYTES = MAX_INNER_BYTES - MAX_INNER_FRAMING_BYTES;

/**
 * Sizes the inner plaintext is padded to: the smallest bucket that holds
 * `MAX_INNER_FRAMING_BYTES + body length`. Steps of 4× from 256 B keep the padding
 * overhead below 4× while the host learns only one of seven sizes. 256 B holds every
 * small operation (unlock, get, delete, sign) so they all look alike.
 */
export const PADDING_BUCKETS = [256, 1_024, 4_096, 16_384, 65_536, 262_144, MAX_INNER_BYTES] as const;

/** Default number of counters below the highest one that may still arrive (reordering tolerance). */
export const DEFAULT_WINDOW_SIZE = 64;
