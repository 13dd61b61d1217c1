/**
 * Sizes, labels and limits of the device ⇄ enclave session handshake
 * (docs/protocol.md §Session handshake; docs/decisions/0054). Every wire size is
 * written with its derivation; nothing here is negotiated.
 */

/** First byte of both handshake messages. There is no other accepted version. */
export const HANDSHAKE_VERSION = 1;

/**
 * The Noise protocol name: Noise IK with one extra token (`kem`, an ML-KEM-768
 * encapsulation to the enclave's static key) over X25519, ChaCha20-Poly1305 and
 * BLAKE2b. 48 ASCII bytes, so it is zero-padded to `HASH_BYTES` to form the first
 * `h` (Noise rev 34 §5.2 `InitializeSymmetric`). Changing anything in the
 * construction changes this name and `HANDSHAKE_VERSION`.
 */
export const PROTOCOL_NAME = "Noise_IKhybrid_25519+MLKEM768_ChaChaPoly_BLAKE2b";

/** Domain label that opens the prologue; carries the VettID handshake version. */
export const PROLOGUE_LABEL = "VETTID-HANDSHAKE-1";

/** BLAKE2b-512 output: Noise `HASHLEN` for BLAKE2b. `h` and `ck` have this size. */
export const HASH_BYTES = 64;

/** BLAKE2b block size: Noise `BLOCKLEN`, the HMAC pad width. */
export const BLOCK_BYTES = 128;

/** X25519 public keys, private keys and DH outputs: Noise `DHLEN`. */
export const DH_BYTES = 32;

/** ChaCha20-Poly1305-IETF key (HKDF outputs are truncated to this, Noise §5.2). */
export const CIPHER_KEY_BYTES = 32;

/** ChaCha20-Poly1305-IETF nonce: 4 zero bytes, then the 64-bit counter little-endian (Noise §12.3). */
export const CIPHER_NONCE_BYTES = 12;

/** Poly1305 tag appended to every handshake ciphertext. */
export const TAG_BYTES = 16;

/** ML-KEM-768 sizes (FIPS 203 Table 3). */
export const MLKEM_PUBLIC_KEY_BYTES = 1_184;
export const MLKEM_SECRET_KEY_BYTES = 2_400;
export const MLKEM_CIPHERTEXT_BYTES = 1_088;
export const MLKEM_SHARED_SECRET_BYTES = 32;
/** Seed of deterministic ML-KEM key generation: d ‖ z (FIPS 203 Algorithm 16). */
export const MLKEM_KEYGEN_SEED_BYTES = 64;
/** Randomness m of one encapsulation (FIPS 203 Algorithm 17). */
export const MLKEM_ENCAPSULATION_SEED_BYTES = 32;

/**
 * Largest payload of either message. Derivation: a handshake payload carries
 * session set-up only (ids, a nonce, a state version: well under 512 bytes); vault
 * data travels in envelopes once the session exists. 4 KiB (the envelope's 4 KiB
 * bucket) leaves room for versioned extension fields, keeps both messages far below
 * one NATS message, and bounds what an unauthenticated sender makes the enclave
 * decrypt.
 */
export const MAX_PAYLOAD_BYTES = 4_096;

/**
 * Message 1 without its payload: version (1) + e (32) + ML-KEM ciphertext (1088) +
 * encrypted s (32 + 16) + the payload's tag (16) = 1185 bytes.
 */
export const MESSAGE1_FIXED_BYTES = 1 + DH_BYTES + MLKEM_CIPHERTEXT_BYTES + (DH_BYTES + TAG_BYTES) + TAG_BYTES;

/** Message 2 without its payload: version (1) + e (32) + the payload's tag (16) = 49 bytes. */
export const MESSAGE2_FIXED_BYTES = 1 + DH_BYTES + TAG_BYTES;

/** Largest message 1: 1185 + 4096 = 5281 bytes. */
export const MAX_MESSAGE1_BYTES = MESSAGE1_FIXED_BYTES + MAX_PAYLOAD_BYTES;

/** Largest message 2: 49 + 4096 = 4145 bytes. */
export const MAX_MESSAGE2_BYTES = MESSAGE2_FIXED_BYTES + MAX_PAYLOAD_BYTES;

/** Offsets of the fields of message 1. */
export const MESSAGE1_OFFSETS = {
  ephemeral: 1,
  kemCiphertext: 1 + DH_BYTES,
  encryptedStatic: 1 + DH_BYTES + MLKEM_CIPHERTEXT_BYTES,
  encryptedPayload: 1 + DH_BYTES + MLKEM_CIPHERTEXT_BYTES + DH_BYTES + TAG_BYTES,
} as const;

/** Offsets of the fields of message 2. */
export const MESSAGE2_OFFSETS = { ephemeral: 1, encryptedPayload: 1 + DH_BYTES } as const;

/** Bytes of the final handshake hash that name the session: 16 (128 bits, no collision across sessions). */
export const SESSION_ID_HASH_BYTES = 16;

/** SHA-256 of the exact attestation document bytes, bound into the prologue. */
export const ATTESTATION_DIGEST_BYTES = 32;

/** Longest vault or device id in the prologue, UTF-8 bytes (the envelope's limit). */
export const MAX_ID_BYTES = 128;

/**
 * Purpose tag that opens the `user_data` of an attestation document issued to a
 * device: the document vouches for the enclave's handshake keys. The proxy's
 * connect-time documents carry `vettid/proxy-attestation/v1` instead, and a device
 * refuses those.
 */
export const HANDSHAKE_KEYS_PURPOSE = "vettid/session-keys/v1";

/** Domain label of {@link HANDSHAKE_KEYS_PURPOSE}'s key digest. */
export const HANDSHAKE_KEYS_DIGEST_LABEL = "VETTID-HANDSHAKE-KEYS-1";

/** SHA-256 output: the key digest in `user_data`. */
export const HANDSHAKE_KEYS_DIGEST_BYTES = 32;

/**
 * `user_data` = purpose (22 ASCII bytes) ‖ handshake version (1) ‖ key digest (32) =
 * 55 bytes, well inside the 1 KiB NSM field (an ML-KEM-768 key of 1184 bytes is not).
 */
export const HANDSHAKE_USER_DATA_BYTES = HANDSHAKE_KEYS_PURPOSE.length + 1 + HANDSHAKE_KEYS_DIGEST_BYTES;
