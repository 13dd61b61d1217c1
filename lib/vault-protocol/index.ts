/**
 * The vault protocol between a device and its enclave (docs/protocol.md §Vault
 * protocol): the NATS messages on a vault's request subject (attest, handshake,
 * sealed), and the operations inside the sealed envelopes with their bodies and
 * typed answers. Every byte from a peer is parsed strictly (lib/cbor) and bounded.
 */
export { DOCUMENT_NONCE_LABEL, documentNonce } from "./avoid";
export { decodeWire, encodeWire, type WireMap, type WireValue } from "./codec";
export {
  ATTEST_NONCE_BYTES,
  ATTESTATION_DIGEST_BYTES,
  DEVICE_STATUSES,
  ERROR_MESSAGE_CODES,
  ITEM_TYPES,
  MAX_AVOIDED_ENCLAVES,
  MAX_BACKUP_BYTES,
  MAX_CHALLENGE_BYTES,
  MAX_ITEM_NAME_LENGTH,
  MAX_ITEM_VALUE_BYTES,
  MAX_MESSAGE_BYTES,
  MAX_PIN_BYTES,
  MESSAGE_TYPES,
  MIN_PIN_LENGTH,
  PAIRING_SESSION_OPS,
  RESERVED_STATEMENT_PREFIX,
  VAULT_OPS,
  VAULT_PROTOCOL_VERSION,
  type VaultOp,
} from "./constants";
export {
  encodeHandshakeAnswer,
  encodeHandshakePayload,
  type FoundingOpening,
  type HandshakeAnswer,
  type HandshakePayload,
  opensVaultId,
  parseHandshakeAnswer,
  parseHandshakePayload,
} from "./founding";
export {
  type DeviceMessage,
  type EnclaveMessage,
  encodeDeviceMessage,
  encodeEnclaveMessage,
  parseDeviceMessage,
  parseEnclaveMessage,
} from "./messages";
export {
  type AnswerCommon,
  type AuditPage,
  type ChangesPage,
  type DeviceAnswer,
  encodeFailure,
  encodeRequest,
  encodeResult,
  type ItemAnswer,
  type ItemType,
  isVaultOp,
  parseAnswer,
  parseRequest,
  type RecoveryNotice,
  type VaultFailure,
  type VaultRequest,
  type VaultResults,
} from "./operations";
