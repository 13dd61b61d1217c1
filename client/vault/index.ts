/** The reference device client of the vault protocol (docs/protocol.md §Vault protocol). */
export {
  VaultClient,
  type VaultClientOptions,
  type VaultMemory,
  VaultOperationError,
  type VaultTransport,
  type VerifiedAuditLog,
  type VerifiedChanges,
} from "./vault-client";
