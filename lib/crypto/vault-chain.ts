import { sodium } from "./sodium";

/**
 * The hash chains a vault keeps (the audit log, lib/vault-audit; the change events,
 * lib/vault-sync), one construction with a label pair each, all BLAKE2b-256
 * (`crypto_generichash`, unkeyed), `‖` concatenation:
 *
 * - `digest_0 = H(genesis label ‖ u8 len ‖ vault id)`;
 * - `digest_n = H(step label ‖ u8 len ‖ vault id ‖ digest_{n−1} ‖ item_n)`.
 */

/** Chain digests: BLAKE2b-256. */
export const VAULT_CHAIN_DIGEST_BYTES = 32;

const encoder = new TextEncoder();

/**
 * `u8 len ‖ UTF-8 of id`: how a vault id enters a digest or associated data.
 * @throws RangeError when the id is empty or longer than 255 bytes.
 */
export function lengthPrefixedId(id: string): Uint8Array {
  const bytes = encoder.encode(id);
  if (bytes.length === 0 || bytes.length > 255) throw new RangeError("a vault id is 1 to 255 bytes");
  const out = new Uint8Array(bytes.length + 1);
  out[0] = bytes.length;
  out.set(bytes, 1);
  return out;
}

/** `digest_0` of `vaultId` under `label`. */
export function vaultChainGenesis(label: string, vaultId: string): Uint8Array {
  const s = sodium();
  const state = s.crypto_generichash_init(null, VAULT_CHAIN_DIGEST_BYTES);
  s.crypto_generichash_update(state, encoder.encode(label));
  s.crypto_generichash_update(state, lengthPrefixedId(vaultId));
  return s.crypto_generichash_final(state, VAULT_CHAIN_DIGEST_BYTES);
}

/** `digest_n` under `label` from `digest_{n−1}` and the bytes of item `n`. */
export function vaultChainStep(label: string, vaultId: string, previous: Uint8Array, item: Uint8Array): Uint8Array {
  if (!(previous instanceof Uint8Array) || previous.length !== VAULT_CHAIN_DIGEST_BYTES) {
    throw new RangeError(`a chain digest is ${VAULT_CHAIN_DIGEST_BYTES} bytes`);
  }
  const s = sodium();
  const state = s.crypto_generichash_init(null, VAULT_CHAIN_DIGEST_BYTES);
  s.crypto_generichash_update(state, encoder.encode(label));
  s.crypto_generichash_update(state, lengthPrefixedId(vaultId));
  s.crypto_generichash_update(state, previous);
  s.crypto_generichash_update(state, item);
  return s.crypto_generichash_final(state, VAULT_CHAIN_DIGEST_BYTES);
}

/** Whether two digests are equal (constant time; lengths compared first). */
export function equalDigestBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && sodium().memcmp(a, b);
}
