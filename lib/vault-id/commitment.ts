import { createHash, timingSafeEqual } from "node:crypto";

/** Domain label of the vault id commitment; a new construction gets a new label. */
export const VAULT_ID_LABEL = "VETTID-VAULT-ID-1";

/** Random salt of the commitment: 128 bits, so vault ids of one device key never repeat. */
export const VAULT_SALT_BYTES = 16;

/**
 * Bytes of SHA-256 kept in the id: 128 bits. Finding another key pair for a given id is
 * a second preimage (2^128 work); ids keep the `vlt_` + 32 hex shape they had.
 */
export const VAULT_ID_DIGEST_BYTES = 16;

const VAULT_ID = /^vlt_[0-9a-f]{32}$/;
const KEY_BYTES = 32;

/** The public keys of the device that founds a vault (raw 32-byte values). */
export interface FoundingDeviceKeys {
  /** Ed25519 signing public key. */
  signingKey: Uint8Array;
  /** X25519 public key: the static key the device authenticates sessions with. */
  exchangeKey: Uint8Array;
}

function digest(keys: FoundingDeviceKeys, salt: Uint8Array): Buffer {
  if (keys.signingKey.length !== KEY_BYTES || keys.exchangeKey.length !== KEY_BYTES) {
    throw new TypeError("device keys must be 32 bytes each");
  }
  if (salt.length !== VAULT_SALT_BYTES) throw new TypeError(`the vault salt must be ${VAULT_SALT_BYTES} bytes`);
  return createHash("sha256")
    .update(VAULT_ID_LABEL)
    .update(Uint8Array.of(0))
    .update(keys.signingKey)
    .update(keys.exchangeKey)
    .update(salt)
    .digest()
    .subarray(0, VAULT_ID_DIGEST_BYTES);
}

/**
 * The vault id that commits to the founding device's keys:
 * `vlt_` ‖ hex(SHA-256(label ‖ 0x00 ‖ signingKey ‖ exchangeKey ‖ salt)[0..16]).
 * The edge assigns it at enrollment; the device checks it; the enclave lets only the
 * key it commits to initialize the vault. So neither the edge nor the host can hand a
 * victim's vault to another device, or the device another vault.
 *
 * @example
 * const salt = randomBytes(VAULT_SALT_BYTES);
 * const vaultId = vaultIdFor({ signingKey, exchangeKey }, salt);
 */
export function vaultIdFor(keys: FoundingDeviceKeys, salt: Uint8Array): string {
  return `vlt_${digest(keys, salt).toString("hex")}`;
}

/** Whether `vaultId` commits to `keys` with `salt` (constant-time comparison). */
export function isVaultIdFor(vaultId: string, keys: FoundingDeviceKeys, salt: Uint8Array): boolean {
  if (!VAULT_ID.test(vaultId) || salt.length !== VAULT_SALT_BYTES) return false;
  return timingSafeEqual(Buffer.from(vaultId.slice(4), "hex"), digest(keys, salt));
}
