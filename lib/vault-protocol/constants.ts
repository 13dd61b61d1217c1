import type { ErrorCode } from "../errors";

/**
 * The vault protocol between a device and its enclave over NATS (docs/protocol.md
 * §Vault protocol): message types on the request subject, operation names inside the
 * sealed envelopes, and limits.
 */

/** Version of the message layout; a message of another version is refused. */
export const VAULT_PROTOCOL_VERSION = 1;

/**
 * Message types on `vettid.v1.vault.<vault>.req.<device>`: `attest` (answered
 * `attestation`), `handshake` (answered `handshake`), `sealed` (an E2E envelope,
 * answered `sealed`); any of them may be answered `error` outside a session.
 */
export const MESSAGE_TYPES = {
  attest: "attest",
  attestation: "attestation",
  handshake: "handshake",
  sealed: "sealed",
  error: "error",
} as const;

/** Operation names inside sealed envelopes. */
export const VAULT_OPS = {
  status: "vault.status",
  init: "vault.init",
  unlock: "vault.unlock",
  lock: "vault.lock",
  pinChange: "pin.change",
  itemsPut: "items.put",
  itemsGet: "items.get",
  itemsList: "items.list",
  itemsDelete: "items.delete",
  identityKey: "identity.key",
  identitySign: "identity.sign",
  audit: "vault.audit",
  changes: "vault.changes",
  pairStart: "device.pair.start",
  pairJoin: "device.pair.join",
  approve: "device.approve",
  devicesList: "devices.list",
  revoke: "device.revoke",
  backupExport: "backup.export",
  recoveryStart: "recovery.start",
  recoveryComplete: "recovery.complete",
  recoveryCancel: "recovery.cancel",
} as const;

/**
 * Largest backup file (docs/protocol.md §Backup file): what fits one sealed request
 * beside the recovery secret and the other fields (lib/envelope's 1 MiB less 12 KiB).
 */
export const MAX_BACKUP_BYTES = 1_024 * 1_024 - 12 * 1_024;

/**
 * The only operations a session whose key is not in the vault's device list may run
 * (docs/protocol.md §Pairing): a new device proves the pairing secret, and reads the
 * status. Everything else is answered `FORBIDDEN`.
 */
export const PAIRING_SESSION_OPS = ["vault.status", "device.pair.join"] as const satisfies readonly VaultOp[];

/** Longest device label (vault-enclave/state MAX_DEVICE_LABEL_LENGTH). */
export const MAX_DEVICE_LABEL_LENGTH = 64;

/** Device ids: one NATS subject token (lib/subjects). */
export const MAX_DEVICE_ID_LENGTH = 64;

export type VaultOp = (typeof VAULT_OPS)[keyof typeof VAULT_OPS];

/** Whether a device in `devices.list` may open the vault, or proved a pairing secret and waits for approval. */
export const DEVICE_STATUSES = ["authorized", "pending"] as const;

/** Bytes of the device's attestation nonce: 256 bits, never reused. */
export const ATTEST_NONCE_BYTES = 32;

/** SHA-256 of the attestation document the device verified (the handshake's prologue binds it). */
export const ATTESTATION_DIGEST_BYTES = 32;

/** Most enclaves one attestation request asks not to answer (decision 0078). */
export const MAX_AVOIDED_ENCLAVES = 4;

/**
 * Largest NATS message of this protocol: one NATS payload (1 MiB, nats-server's
 * default `max_payload`); a sealed envelope is at most 1 MiB − 4 KiB (lib/envelope).
 */
export const MAX_MESSAGE_BYTES = 1_048_576;

/**
 * Deepest nesting in a message or an operation body: a list answer is a map holding
 * an array of maps (3); 6 leaves room without inviting deep structures.
 */
export const MAX_BODY_DEPTH = 6;

/** Longest session id: base64url of 16 bytes is 22 characters (lib/handshake). */
export const MAX_SESSION_ID_LENGTH = 64;

/** Longest PIN or passphrase accepted, in UTF-8 bytes (vault-enclave/state MAX_PIN_BYTES). */
export const MAX_PIN_BYTES = 1024;

/** Shortest PIN: six characters, what a phone keypad user is asked for. */
export const MIN_PIN_LENGTH = 6;

/** Longest item name (vault-enclave/state MAX_ITEM_NAME_LENGTH). */
export const MAX_ITEM_NAME_LENGTH = 256;

/** Largest item value (vault-enclave/state MAX_ITEM_VALUE_BYTES). */
export const MAX_ITEM_VALUE_BYTES = 65_536;

/** Largest challenge the identity key signs: 1 KiB covers any nonce or digest scheme. */
export const MAX_CHALLENGE_BYTES = 1024;

/**
 * What the vault's own statements signed with its identity key begin with
 * (`VETTID-REVOCATION-1`, and every label to come). `identity.sign` refuses a
 * challenge that begins with it, so no relying party can have a device sign
 * something that reads as the vault's own statement (a revocation the edge would act
 * on, without the PIN and without the device leaving the vault).
 */
export const RESERVED_STATEMENT_PREFIX = "VETTID-";

/** Item types (vault-enclave/state ITEM_TYPES). */
export const ITEM_TYPES = ["login", "secret", "note", "profile"] as const;

/**
 * The codes an unauthenticated `error` message may carry (docs/protocol.md §Messages):
 * what went wrong with the message, the session or the load, never an outcome of the
 * vault itself (a wrong PIN, a lock-out, a missing item), which only a sealed answer
 * tells. A device reads any other code in an `error` as `INTERNAL`, so the host cannot
 * make it believe, say, that the PIN attempts are exhausted.
 */
export const ERROR_MESSAGE_CODES = [
  "BAD_REQUEST",
  "VALIDATION_FAILED",
  "RATE_LIMITED",
  "HANDSHAKE_MALFORMED",
  "HANDSHAKE_FAILED",
  "FORBIDDEN",
  "OVERLOADED",
  "UNAUTHENTICATED",
  "ENVELOPE_MALFORMED",
  "ENVELOPE_AUTH_FAILED",
  "ENVELOPE_REPLAYED",
  "ENVELOPE_WRONG_DIRECTION",
  "ENVELOPE_WRONG_REQUEST",
  "ENVELOPE_UNSOLICITED",
  "STALE_STATE",
  "STATE_INVALID",
  "UNAVAILABLE",
  "TIMEOUT",
  "CHANNEL_CLOSED",
  "INTERNAL",
] as const satisfies readonly ErrorCode[];
