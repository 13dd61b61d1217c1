/**
 * Vault ids that commit to the founding device's keys (docs/protocol.md §Vault ids):
 * computed by the edge, checked by the device and by the enclave before `vault.init`.
 */
export {
  type FoundingDeviceKeys,
  isVaultIdFor,
  VAULT_ID_DIGEST_BYTES,
  VAULT_ID_LABEL,
  VAULT_SALT_BYTES,
  vaultIdFor,
} from "./commitment";
