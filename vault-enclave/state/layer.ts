import { randomBytes, sodium } from "../../lib/crypto";
import { DIGEST_BYTES, NONCE_BYTES } from "./constants";
import { STATE_REJECTIONS, StateInvalid } from "./errors";
import type { SealedLayer } from "./types";

/**
 * One layer's cipher: XChaCha20-Poly1305-IETF with a random 24-byte nonce (random
 * nonces are safe at this size for any number of writes), the plaintext padded to a
 * block (ISO/IEC 7816-4, `sodium_pad`) so its exact size stays inside.
 */

/** Pads `plaintext` to `block` bytes and seals it under `key` with associated data `ad`. */
export function sealLayer(plaintext: Uint8Array, block: number, ad: Uint8Array, key: Uint8Array): SealedLayer {
  const s = sodium();
  const padded = s.pad(plaintext, block);
  try {
    const nonce = randomBytes(NONCE_BYTES);
    const ciphertext = s.crypto_aead_xchacha20poly1305_ietf_encrypt(padded, ad, null, nonce, key);
    return { nonce, ciphertext };
  } finally {
    s.memzero(padded);
  }
}

/**
 * Opens a layer and hands its unpadded plaintext to `use`; the decrypted buffers are
 * wiped as soon as `use` returns (so `use` must copy what it keeps). libsodium's
 * WebAssembly heap may keep a copy until the memory is reused: best effort.
 *
 * @throws StateInvalid `auth_failed` when the layer does not authenticate under `key`
 *   and `ad`; `payload_invalid` when its padding is wrong (a format bug).
 */
export function openLayer<T>(
  layer: SealedLayer,
  block: number,
  ad: Uint8Array,
  key: Uint8Array,
  use: (plaintext: Uint8Array) => T,
): T {
  const s = sodium();
  let padded: Uint8Array;
  try {
    padded = s.crypto_aead_xchacha20poly1305_ietf_decrypt(null, layer.ciphertext, ad, layer.nonce, key);
  } catch (err) {
    throw new StateInvalid(STATE_REJECTIONS.authFailed, "a layer does not authenticate", err);
  }
  let plaintext: Uint8Array | undefined;
  try {
    try {
      // A copy of `padded`, cut to the plaintext: wiped below as well.
      plaintext = s.unpad(padded, block);
    } catch (err) {
      throw new StateInvalid(STATE_REJECTIONS.payloadInvalid, "a layer's padding is invalid", err);
    }
    return use(plaintext);
  } finally {
    s.memzero(padded);
    if (plaintext !== undefined) s.memzero(plaintext);
  }
}

/** BLAKE2b-256 (`crypto_generichash`, unkeyed) of a layer's nonce ‖ ciphertext. */
export function layerDigest(layer: SealedLayer): Uint8Array {
  const s = sodium();
  const state = s.crypto_generichash_init(null, DIGEST_BYTES);
  s.crypto_generichash_update(state, layer.nonce);
  s.crypto_generichash_update(state, layer.ciphertext);
  return s.crypto_generichash_final(state, DIGEST_BYTES);
}
