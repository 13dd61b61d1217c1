/**
 * Device sync's change events and hash chain (docs/decisions/0073-device-sync.md,
 * docs/protocol.md §Changes): what the enclave records for every committed change of a
 * vault's items and the device verifies when it catches up. Storage (sealed, in
 * JetStream) is the enclave's (vault-enclave/sync); this area is what both sides must
 * agree on.
 */
export { equalSyncDigests, syncChainStep, syncGenesis, type VerifiedChangeRun, verifyChangeRun } from "./chain";
export {
  MAX_CHANGES_PAGE,
  MAX_CHANGES_PAGE_BYTES,
  MAX_SEALED_CHANGE_BYTES,
  MAX_SYNC_EVENT_BYTES,
  MAX_SYNC_NAME_LENGTH,
  MAX_SYNC_VALUE_BYTES,
  SYNC_DIGEST_BYTES,
  SYNC_KINDS,
  SYNC_LABELS,
  SYNC_VERSION,
  type SyncKind,
} from "./constants";
export { type ChangeEvent, checkChangeEvent, encodeChangeEvent, parseChangeEvent, type SyncItemType } from "./event";
