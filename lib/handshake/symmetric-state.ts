/**
 * The Noise symmetric layer (Noise Protocol Framework rev 34 §4–§5, §12.3, §12.8),
 * instantiated with ChaCha20-Poly1305-IETF and BLAKE2b from libsodium:
 * `HASH` = BLAKE2b-512 (`crypto_generichash`, 64 bytes, unkeyed), `HMAC-HASH` =
 * RFC 2104 HMAC over it with a 128-byte block, `HKDF` as Noise §4.3 defines it, and
 * the cipher nonce = 4 zero bytes ‖ the 64-bit counter little-endian.
 *
 * Secrets are wiped with `sodium.memzero` when they are replaced or no longer
 * needed. That is best effort: JavaScript may have copied a value (into the
 * WebAssembly heap for a libsodium call, or during garbage collection) where no
 * wipe reaches.
 */
import { sodium } from "../crypto/sodium";
import { BLOCK_BYTES, CIPHER_KEY_BYTES, CIPHER_NONCE_BYTES, HASH_BYTES } from "./constants";
import { failed } from "./errors";

/** Noise reserves nonce 2^64 - 1; this library never gets near it (at most two messages per key). */
const MAX_NONCE = 2 ** 53 - 1;

/** Overwrites every given array with zeros (best effort, see the module note). */
export function wipe(...arrays: (Uint8Array | undefined)[]): void {
  const s = sodium();
  for (const a of arrays) if (a !== undefined) s.memzero(a);
}

/**
 * A copy of `bytes[start..end)` in a fresh buffer. Never `Buffer#slice`, which returns
 * a view: wiping a "copy" of a caller's Buffer would wipe the caller's bytes.
 */
export function copy(bytes: Uint8Array, start = 0, end = bytes.length): Uint8Array {
  return new Uint8Array(bytes.subarray(start, end));
}

/** `HASH(parts[0] ‖ parts[1] ‖ …)`: BLAKE2b-512, unkeyed. */
export function hash(...parts: Uint8Array[]): Uint8Array {
  const s = sodium();
  const state = s.crypto_generichash_init(null, HASH_BYTES);
  for (const p of parts) s.crypto_generichash_update(state, p);
  return s.crypto_generichash_final(state, HASH_BYTES);
}

/**
 * `HMAC-HASH(key, data)` (RFC 2104 with BLAKE2b-512, `BLOCKLEN` 128). Noise only
 * calls it with keys of `HASHLEN` (64) bytes, so the key is never hashed first.
 */
export function hmacHash(key: Uint8Array, ...data: Uint8Array[]): Uint8Array {
  if (key.length > BLOCK_BYTES) throw new RangeError("HMAC keys longer than a block do not occur in Noise");
  const inner = new Uint8Array(BLOCK_BYTES);
  const outer = new Uint8Array(BLOCK_BYTES);
  for (let i = 0; i < BLOCK_BYTES; i++) {
    const k = key[i] ?? 0;
    inner[i] = k ^ 0x36;
    outer[i] = k ^ 0x5c;
  }
  const innerHash = hash(inner, ...data);
  const mac = hash(outer, innerHash);
  wipe(inner, outer, innerHash);
  return mac;
}

/**
 * Noise `HKDF(chaining_key, input_key_material, num_outputs)` (§4.3):
 * `temp = HMAC(ck, ikm)`, `out1 = HMAC(temp, 0x01)`, `out2 = HMAC(temp, out1 ‖ 0x02)`,
 * `out3 = HMAC(temp, out2 ‖ 0x03)`. Each output has `HASHLEN` (64) bytes.
 */
export function hkdf(chainingKey: Uint8Array, inputKeyMaterial: Uint8Array, outputs: 2 | 3): Uint8Array[] {
  const temp = hmacHash(chainingKey, inputKeyMaterial);
  const result: Uint8Array[] = [];
  let previous: Uint8Array = new Uint8Array(0);
  for (let i = 1; i <= outputs; i++) {
    previous = hmacHash(temp, previous, Uint8Array.of(i));
    result.push(previous);
  }
  wipe(temp);
  return result;
}

/** Truncates a 64-byte HKDF output to a cipher key (Noise §5.2: `HASHLEN` 64 → 32) and wipes the rest. */
function cipherKey(output: Uint8Array): Uint8Array {
  const key = copy(output, 0, CIPHER_KEY_BYTES);
  wipe(output);
  return key;
}

/** Noise `CipherState` (§5.1) with ChaCha20-Poly1305-IETF. */
export class CipherState {
  private k: Uint8Array | undefined;
  private n = 0;

  /** `InitializeKey(key)`: `undefined` is Noise's "empty" key. The key is copied. */
  constructor(key?: Uint8Array) {
    if (key !== undefined && key.length !== CIPHER_KEY_BYTES) throw new RangeError("cipher keys have 32 bytes");
    this.k = key === undefined ? undefined : copy(key);
  }

  /** `HasKey()`. */
  hasKey(): boolean {
    return this.k !== undefined;
  }

  /** `EncryptWithAd(ad, plaintext)`: the plaintext itself (a copy) while there is no key. */
  encryptWithAd(ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    if (this.k === undefined) return copy(plaintext);
    const out = sodium().crypto_aead_chacha20poly1305_ietf_encrypt(plaintext, ad, null, this.nonce(), this.k);
    this.n += 1;
    return out;
  }

  /**
   * `DecryptWithAd(ad, ciphertext)`; the nonce moves only on success.
   * @throws VettidError `HANDSHAKE_FAILED` when the tag does not verify.
   */
  decryptWithAd(ad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    if (this.k === undefined) return copy(ciphertext);
    let out: Uint8Array;
    try {
      out = sodium().crypto_aead_chacha20poly1305_ietf_decrypt(null, ciphertext, ad, this.nonce(), this.k);
    } catch (err) {
      throw failed("the handshake message does not authenticate", err);
    }
    this.n += 1;
    return out;
  }

  /** An independent copy (for trying a message without committing to it). */
  clone(): CipherState {
    const copy = new CipherState(this.k);
    copy.n = this.n;
    return copy;
  }

  /** Forgets the key. */
  wipe(): void {
    wipe(this.k);
    this.k = undefined;
  }

  /** 4 zero bytes ‖ n as u64 little-endian (Noise §12.3, ChaChaPoly). */
  private nonce(): Uint8Array {
    if (this.n > MAX_NONCE) throw failed("cipher nonce exhausted");
    const nonce = new Uint8Array(CIPHER_NONCE_BYTES);
    new DataView(nonce.buffer).setBigUint64(4, BigInt(this.n), true);
    return nonce;
  }
}

/** Noise `SymmetricState` (§5.2): the chaining key `ck`, the transcript hash `h` and a cipher. */
export class SymmetricState {
  private constructor(
    private ck: Uint8Array,
    private h: Uint8Array,
    private cipher: CipherState,
  ) {}

  /**
   * `InitializeSymmetric(protocol_name)`: `h` = the name zero-padded to `HASHLEN`
   * when it fits, else `HASH(name)`; `ck = h`; no cipher key.
   */
  static initialize(protocolName: string): SymmetricState {
    const name = new TextEncoder().encode(protocolName);
    let h: Uint8Array;
    if (name.length <= HASH_BYTES) {
      h = new Uint8Array(HASH_BYTES);
      h.set(name);
    } else {
      h = hash(name);
    }
    return new SymmetricState(copy(h), h, new CipherState());
  }

  /** `MixKey(ikm)`: `ck, temp_k = HKDF(ck, ikm, 2)`; the cipher restarts with `temp_k[0..32)` and nonce 0. */
  mixKey(inputKeyMaterial: Uint8Array): void {
    const [ck, tempK] = hkdf(this.ck, inputKeyMaterial, 2) as [Uint8Array, Uint8Array];
    wipe(this.ck);
    this.ck = ck;
    const key = cipherKey(tempK);
    this.cipher.wipe();
    this.cipher = new CipherState(key);
    wipe(key);
  }

  /** `MixHash(data)`: `h = HASH(h ‖ data)`. */
  mixHash(data: Uint8Array): void {
    const next = hash(this.h, data);
    wipe(this.h);
    this.h = next;
  }

  /** `EncryptAndHash(plaintext)`: encrypt with `h` as associated data, then `MixHash(ciphertext)`. */
  encryptAndHash(plaintext: Uint8Array): Uint8Array {
    const ciphertext = this.cipher.encryptWithAd(this.h, plaintext);
    this.mixHash(ciphertext);
    return ciphertext;
  }

  /**
   * `DecryptAndHash(ciphertext)`: decrypt with `h` as associated data, then `MixHash(ciphertext)`.
   * @throws VettidError `HANDSHAKE_FAILED` when the tag does not verify (the state is then unusable: discard it).
   */
  decryptAndHash(ciphertext: Uint8Array): Uint8Array {
    const plaintext = this.cipher.decryptWithAd(this.h, ciphertext);
    this.mixHash(ciphertext);
    return plaintext;
  }

  /**
   * `Split()`: `temp_k1, temp_k2 = HKDF(ck, zerolen, 2)`, each truncated to 32 bytes.
   * The first key is for what the initiator sends, the second for what it receives.
   */
  split(): [Uint8Array, Uint8Array] {
    const [k1, k2] = hkdf(this.ck, new Uint8Array(0), 2) as [Uint8Array, Uint8Array];
    return [cipherKey(k1), cipherKey(k2)];
  }

  /** `GetHandshakeHash()`: a copy of `h`. */
  handshakeHash(): Uint8Array {
    return copy(this.h);
  }

  /** A copy of `ck`, for published test vectors and their checks only: it is a secret. */
  chainingKey(): Uint8Array {
    return copy(this.ck);
  }

  /** An independent copy of the whole state. */
  clone(): SymmetricState {
    return new SymmetricState(copy(this.ck), copy(this.h), this.cipher.clone());
  }

  /** Wipes `ck`, `h` and the cipher key. */
  wipe(): void {
    wipe(this.ck, this.h);
    this.cipher.wipe();
  }
}
