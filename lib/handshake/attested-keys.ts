/**
 * How an attestation document vouches for the enclave's handshake keys. The two
 * public keys (32 + 1184 bytes) do not fit the document's 1 KiB fields, so the
 * document's `user_data` carries their digest and the keys travel in the clear
 * beside it; the device checks them against the digest before it uses them.
 */
import { ml_kem768 } from "@noble/post-quantum/ml-kem.js";
import { sodium } from "../crypto/sodium";
import { PROXY_ATTESTATION_PURPOSE } from "../proxy-protocol";
import {
  DH_BYTES,
  HANDSHAKE_KEYS_DIGEST_BYTES,
  HANDSHAKE_KEYS_DIGEST_LABEL,
  HANDSHAKE_KEYS_PURPOSE,
  HANDSHAKE_USER_DATA_BYTES,
  HANDSHAKE_VERSION,
  MLKEM_KEYGEN_SEED_BYTES,
  MLKEM_PUBLIC_KEY_BYTES,
} from "./constants";
import { invalidInput, refusedUserData, rejectUnknownFields, USER_DATA_REASONS } from "./errors";
import { copy } from "./symmetric-state";
import type { EnclaveHandshakeKeys, EnclaveHandshakePublicKeys } from "./types";

const encoder = new TextEncoder();
const PURPOSE = encoder.encode(HANDSHAKE_KEYS_PURPOSE);
const PROXY_PURPOSE = encoder.encode(PROXY_ATTESTATION_PURPOSE);

/**
 * The digest of the enclave's two static handshake public keys:
 * `SHA-256("VETTID-HANDSHAKE-KEYS-1" ‖ x25519 (32) ‖ mlkem (1184))`.
 *
 * @example
 * const digest = handshakeKeyDigest(keys.x25519.publicKey, keys.mlkem.publicKey);
 * const userData = encodeHandshakeUserData(digest); // into the NSM attestation request
 */
export function handshakeKeyDigest(x25519Public: Uint8Array, mlkemPublic: Uint8Array): Uint8Array {
  if (!(x25519Public instanceof Uint8Array) || x25519Public.length !== DH_BYTES) {
    throw invalidInput("the X25519 public key must have 32 bytes");
  }
  if (!(mlkemPublic instanceof Uint8Array) || mlkemPublic.length !== MLKEM_PUBLIC_KEY_BYTES) {
    throw invalidInput("the ML-KEM-768 public key must have 1184 bytes");
  }
  const s = sodium();
  const state = s.crypto_hash_sha256_init();
  s.crypto_hash_sha256_update(state, encoder.encode(HANDSHAKE_KEYS_DIGEST_LABEL));
  s.crypto_hash_sha256_update(state, x25519Public);
  s.crypto_hash_sha256_update(state, mlkemPublic);
  return s.crypto_hash_sha256_final(state);
}

/**
 * The `user_data` of a device-facing attestation document:
 * `"vettid/session-keys/v1"` (22 bytes) ‖ handshake version `0x01` ‖ key digest (32) = 55 bytes.
 *
 * @example
 * const document = await nsm.attest({ nonce, userData: encodeHandshakeUserData(digest) });
 */
export function encodeHandshakeUserData(keyDigest: Uint8Array): Uint8Array {
  if (!(keyDigest instanceof Uint8Array) || keyDigest.length !== HANDSHAKE_KEYS_DIGEST_BYTES) {
    throw invalidInput("the key digest must have 32 bytes");
  }
  const out = new Uint8Array(HANDSHAKE_USER_DATA_BYTES);
  out.set(PURPOSE, 0);
  out[PURPOSE.length] = HANDSHAKE_VERSION;
  out.set(keyDigest, PURPOSE.length + 1);
  return out;
}

/**
 * Parses the `user_data` of a verified attestation document, refusing anything but
 * exactly the {@link encodeHandshakeUserData} layout, and in particular the proxy's
 * connect-time marker `vettid/proxy-attestation/v1`: a document made for the proxy's
 * challenge (whose nonce the host chose) never opens a device session.
 *
 * @throws VettidError `ATTESTATION_INVALID` with `details.reason` `user_data_missing`,
 *   `proxy_purpose` or `user_data_layout`.
 */
export function parseHandshakeUserData(userData: Uint8Array | null | undefined): {
  version: number;
  keyDigest: Uint8Array;
} {
  if (userData === undefined || userData === null || userData.length === 0) {
    throw refusedUserData(USER_DATA_REASONS.missing, "the attestation document carries no user_data");
  }
  if (!(userData instanceof Uint8Array)) throw refusedUserData(USER_DATA_REASONS.layout, "user_data must be bytes");
  if (startsWith(userData, PROXY_PURPOSE)) {
    throw refusedUserData(
      USER_DATA_REASONS.proxyPurpose,
      "the attestation document was made for the proxy, not for a device session",
    );
  }
  if (userData.length !== HANDSHAKE_USER_DATA_BYTES || !startsWith(userData, PURPOSE)) {
    throw refusedUserData(USER_DATA_REASONS.layout, "user_data is not a vettid/session-keys/v1 key digest");
  }
  const version = userData[PURPOSE.length] as number;
  if (version !== HANDSHAKE_VERSION) {
    throw refusedUserData(USER_DATA_REASONS.layout, `user_data names handshake version ${version}, not 1`);
  }
  return { version, keyDigest: copy(userData, PURPOSE.length + 1) };
}

/**
 * Device side, after `verifyAttestation` passed: checks that the enclave keys that
 * came beside the document are the ones its `user_data` names, and returns them for
 * the handshake. Call it with the `userData` of the verified document only.
 *
 * @example
 * const verified = await verifyAttestation(documentBytes, { expectedNonce, manifest });
 * const enclaveKeys = verifyAttestedHandshakeKeys(verified.userData, { x25519, mlkem });
 * const handshake = initiateHandshake({ deviceKey, enclaveKeys, context, payload });
 *
 * @throws VettidError `ATTESTATION_INVALID` (reasons of {@link parseHandshakeUserData},
 *   or `handshake_key_digest` when the keys do not match the digest).
 */
export function verifyAttestedHandshakeKeys(
  userData: Uint8Array | null | undefined,
  keys: EnclaveHandshakePublicKeys,
): EnclaveHandshakePublicKeys {
  const { keyDigest } = parseHandshakeUserData(userData);
  const x25519 = keys?.x25519;
  const mlkem = keys?.mlkem;
  if (
    !(x25519 instanceof Uint8Array) ||
    x25519.length !== DH_BYTES ||
    !(mlkem instanceof Uint8Array) ||
    mlkem.length !== MLKEM_PUBLIC_KEY_BYTES
  ) {
    throw refusedUserData(USER_DATA_REASONS.keyDigest, "the enclave's handshake keys have the wrong sizes");
  }
  if (!sodium().memcmp(handshakeKeyDigest(x25519, mlkem), keyDigest)) {
    throw refusedUserData(USER_DATA_REASONS.keyDigest, "the enclave's handshake keys are not the attested ones");
  }
  return { x25519: copy(x25519), mlkem: copy(mlkem) };
}

/**
 * Makes the enclave's static handshake keys (once per boot, inside the enclave):
 * an X25519 key pair and an ML-KEM-768 key pair. Seeds are for test vectors only;
 * without them libsodium's and noble's CSPRNGs are used.
 *
 * @example
 * const keys = generateEnclaveHandshakeKeys();
 * const userData = encodeHandshakeUserData(handshakeKeyDigest(keys.x25519.publicKey, keys.mlkem.publicKey));
 */
export function generateEnclaveHandshakeKeys(seeds?: {
  /** X25519 private key (32 bytes). */
  x25519PrivateKey?: Uint8Array;
  /** ML-KEM-768 key generation seed d ‖ z (64 bytes). */
  mlkemSeed?: Uint8Array;
}): EnclaveHandshakeKeys {
  const s = sodium();
  rejectUnknownFields(seeds ?? {}, ["x25519PrivateKey", "mlkemSeed"], "seed");
  const fixed = seeds?.x25519PrivateKey;
  if (fixed !== undefined && (!(fixed instanceof Uint8Array) || fixed.length !== DH_BYTES)) {
    throw invalidInput("the X25519 private key must have 32 bytes");
  }
  const privateKey = fixed === undefined ? s.randombytes_buf(DH_BYTES) : copy(fixed);
  const mlkemSeed = seeds?.mlkemSeed;
  if (mlkemSeed !== undefined && (!(mlkemSeed instanceof Uint8Array) || mlkemSeed.length !== MLKEM_KEYGEN_SEED_BYTES)) {
    throw invalidInput("the ML-KEM seed must have 64 bytes");
  }
  const mlkem = ml_kem768.keygen(mlkemSeed);
  return {
    x25519: { publicKey: s.crypto_scalarmult_base(privateKey), privateKey },
    mlkem: { publicKey: mlkem.publicKey, secretKey: mlkem.secretKey },
  };
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}
