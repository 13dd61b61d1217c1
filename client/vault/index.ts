/** The reference device client of the vault protocol (docs/protocol.md §Vault protocol). */
export {
  MAX_GATHERED_ANSWERS,
  VaultClient,
  type VaultClientOptions,
  type VaultGather,
  type VaultMemory,
  VaultOperationError,
  type VaultTransport,
  type VerifiedAuditLog,
  type VerifiedChanges,
} from "./vault-client";
