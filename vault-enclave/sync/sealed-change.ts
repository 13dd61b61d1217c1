import { lengthPrefixedId, randomBytes, sodium } from "../../lib/crypto";
import { VettidError } from "../../lib/errors";
import { MAX_SEALED_CHANGE_BYTES } from "../../lib/vault-sync";

/**
 * A change event as the change log stores it (docs/decisions/0073):
 *
 *     "VTSC" ‖ u8 version (1) ‖ u64 seq (big-endian) ‖ nonce (24) ‖ ciphertext
 *
 * the ciphertext XChaCha20-Poly1305-IETF of the event's bytes (lib/vault-sync) padded
 * to 256-byte blocks, with associated data `"VETTID-SYNC-1/store" ‖ u8 len ‖ vault id
 * ‖ u8 version ‖ u64 seq`, under the change key:
 *
 *     change key = BLAKE2b-256(key = root key,
 *                              "VETTID-SYNC-1/change-key" ‖ u8 len ‖ vault id ‖
 *                              BLAKE2b-256("VETTID-SYNC-1/identity" ‖ identity secret key))
 *
 * So an event opens only in an enclave KMS released the vault's root key to, with the
 * vault's inner layer open (the identity key is in it, behind the PIN), and only as
 * the vault and sequence number it was sealed for. `seq` is in the clear so a reader
 * skips older events without opening them; it is authenticated when one is opened.
 */

const MAGIC = new Uint8Array([0x56, 0x54, 0x53, 0x43]); // "VTSC"
const VERSION = 1;
const NONCE_BYTES = 24;
const TAG_BYTES = 16;
const PAD_BLOCK = 256;
const HEADER_BYTES = MAGIC.length + 1 + 8;

/** Largest stored event: header, nonce, the largest event padded, and the tag (lib/vault-sync). */
export { MAX_SEALED_CHANGE_BYTES };

const LABELS = {
  key: "VETTID-SYNC-1/change-key",
  identity: "VETTID-SYNC-1/identity",
  store: "VETTID-SYNC-1/store",
} as const;

const encoder = new TextEncoder();

/** The change key of a vault (wipe it after use). */
export function changeKey(rootKey: Uint8Array, vaultId: string, identitySecretKey: Uint8Array): Uint8Array {
  const s = sodium();
  const identity = s.crypto_generichash_init(null, 32);
  s.crypto_generichash_update(identity, encoder.encode(LABELS.identity));
  s.crypto_generichash_update(identity, identitySecretKey);
  const identityDigest = s.crypto_generichash_final(identity, 32);
  try {
    const state = s.crypto_generichash_init(rootKey, 32);
    s.crypto_generichash_update(state, encoder.encode(LABELS.key));
    s.crypto_generichash_update(state, lengthPrefixedId(vaultId));
    s.crypto_generichash_update(state, identityDigest);
    return s.crypto_generichash_final(state, 32);
  } finally {
    s.memzero(identityDigest);
  }
}

function seqBytes(seq: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(seq));
  return out;
}

function associatedData(vaultId: string, seq: number): Uint8Array {
  const label = encoder.encode(LABELS.store);
  const id = lengthPrefixedId(vaultId);
  const out = new Uint8Array(label.length + id.length + 1 + 8);
  out.set(label, 0);
  out.set(id, label.length);
  out[label.length + id.length] = VERSION;
  out.set(seqBytes(seq), label.length + id.length + 1);
  return out;
}

/** Seals event `seq`'s bytes for the change log. */
export function sealChange(vaultId: string, seq: number, event: Uint8Array, key: Uint8Array): Uint8Array {
  if (!Number.isSafeInteger(seq) || seq < 1) throw new RangeError("seq must be a positive integer");
  const s = sodium();
  const padded = s.pad(event, PAD_BLOCK);
  try {
    const nonce = randomBytes(NONCE_BYTES);
    const ciphertext = s.crypto_aead_xchacha20poly1305_ietf_encrypt(
      padded,
      associatedData(vaultId, seq),
      null,
      nonce,
      key,
    );
    const out = new Uint8Array(HEADER_BYTES + NONCE_BYTES + ciphertext.length);
    out.set(MAGIC, 0);
    out[MAGIC.length] = VERSION;
    out.set(seqBytes(seq), MAGIC.length + 1);
    out.set(nonce, HEADER_BYTES);
    out.set(ciphertext, HEADER_BYTES + NONCE_BYTES);
    return out;
  } finally {
    s.memzero(padded);
  }
}

/**
 * The clear sequence number of a stored event, its layout checked (size, magic,
 * version) before anything else is read; undefined for anything else. Authenticates
 * nothing: {@link openChange} does.
 */
export function sealedChangeSeq(stored: Uint8Array): number | undefined {
  if (!(stored instanceof Uint8Array) || stored.length > MAX_SEALED_CHANGE_BYTES) return undefined;
  if (stored.length < HEADER_BYTES + NONCE_BYTES + PAD_BLOCK + TAG_BYTES) return undefined;
  if (!MAGIC.every((b, i) => stored[i] === b) || stored[MAGIC.length] !== VERSION) return undefined;
  const seq = new DataView(stored.buffer, stored.byteOffset + MAGIC.length + 1, 8).getBigUint64(0);
  return seq >= 1n && seq <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(seq) : undefined;
}

/**
 * Opens a stored event of `vaultId`: its bytes, or undefined when it is not one this
 * vault's key sealed at the sequence number it claims (whoever runs the store may put
 * anything there).
 */
export function openChange(vaultId: string, stored: Uint8Array, key: Uint8Array): Uint8Array | undefined {
  const seq = sealedChangeSeq(stored);
  if (seq === undefined) return undefined;
  const s = sodium();
  const nonce = stored.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES);
  const ciphertext = stored.subarray(HEADER_BYTES + NONCE_BYTES);
  let padded: Uint8Array;
  try {
    padded = s.crypto_aead_xchacha20poly1305_ietf_decrypt(null, ciphertext, associatedData(vaultId, seq), nonce, key);
  } catch {
    return undefined;
  }
  try {
    return new Uint8Array(s.unpad(padded, PAD_BLOCK));
  } catch {
    throw new VettidError("SYNC_INVALID", "a sealed change event is padded wrongly");
  } finally {
    s.memzero(padded);
  }
}
