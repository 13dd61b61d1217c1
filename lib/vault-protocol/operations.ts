import { type ErrorCode, isErrorCode, VettidError } from "../errors";
import { MAX_STATEMENT_BYTES, PAIRING_PROOF_BYTES, PAIRING_SECRET_BYTES } from "../pairing";
import { RECOVERY_SECRET_BYTES } from "../recovery/constants";
import { AUDIT_DIGEST_BYTES, MAX_AUDIT_ENTRY_BYTES, MAX_AUDIT_PAGE } from "../vault-audit";
import { MAX_CHANGES_PAGE, MAX_SYNC_EVENT_BYTES, SYNC_DIGEST_BYTES } from "../vault-sync/constants";
import { decodeWire, encodeWire, type WireMap } from "./codec";
import {
  DEVICE_STATUSES,
  ITEM_TYPES,
  MAX_BACKUP_BYTES,
  MAX_CHALLENGE_BYTES,
  MAX_DEVICE_ID_LENGTH,
  MAX_DEVICE_LABEL_LENGTH,
  MAX_ITEM_NAME_LENGTH,
  MAX_ITEM_VALUE_BYTES,
  MAX_PIN_BYTES,
  MIN_PIN_LENGTH,
  RESERVED_STATEMENT_PREFIX,
  VAULT_OPS,
  type VaultOp,
} from "./constants";
import { bool, bytes, oneOf, only, record, text, uint } from "./fields";

export type ItemType = (typeof ITEM_TYPES)[number];

/** A request inside a sealed envelope, by operation. */
export type VaultRequest =
  | { op: "vault.status" }
  | { op: "vault.init"; pin: string; signingKey: Uint8Array; vaultSalt: Uint8Array }
  | { op: "vault.unlock"; pin: string }
  | { op: "vault.lock" }
  | { op: "pin.change"; pin: string; newPin: string }
  | { op: "items.put"; name: string; type: ItemType; value: Uint8Array }
  | { op: "items.get"; name: string }
  | { op: "items.list" }
  | { op: "items.delete"; name: string }
  | { op: "identity.key" }
  | { op: "identity.sign"; challenge: Uint8Array }
  | { op: "vault.audit"; fromSeq?: number; limit?: number }
  | { op: "vault.changes"; fromSeq?: number; cursor?: number; limit?: number }
  | { op: "device.pair.start"; pin: string }
  | { op: "device.pair.join"; signingKey: Uint8Array; label: string; proof: Uint8Array }
  | { op: "device.approve"; deviceId: string; pin: string }
  | { op: "devices.list" }
  | { op: "device.revoke"; deviceId: string; pin: string }
  | { op: "backup.export"; pin: string; recoverySecret: Uint8Array }
  | {
      op: "recovery.start";
      backup: Uint8Array;
      recoverySecret: Uint8Array;
      signingKey: Uint8Array;
      vaultSalt: Uint8Array;
      pin: string;
    }
  | {
      op: "recovery.complete";
      backup: Uint8Array;
      recoverySecret: Uint8Array;
      signingKey: Uint8Array;
      vaultSalt: Uint8Array;
      pin: string;
    }
  | { op: "recovery.cancel"; pin: string; recoverySecret: Uint8Array };

/** A recovery waiting on a vault (docs/protocol.md §Recovery), as `vault.status` tells its devices. */
export interface RecoveryNotice {
  /** The fresh vault the backup is to be restored into. */
  targetVaultId: string;
  requestedAt: number;
  /** It completes no earlier than this, unless a device of the vault cancels it first. */
  readyAt: number;
}

/** A device as `devices.list` and `device.approve` answer it. */
export interface DeviceAnswer {
  deviceId: string;
  status: (typeof DEVICE_STATUSES)[number];
  label: string;
  /** lib/pairing `deviceFingerprint` of its keys. */
  fingerprint: string;
  addedAt: number;
  /** Its last successful unlock, as the sealed state knows it; null when none is recorded. */
  lastUsedAt: number | null;
  /** The short authentication string of its pairing; null for a device that did not pair (the founding one). */
  sas: string | null;
}

/** An item as `items.get` answers it. */
export interface ItemAnswer {
  name: string;
  type: ItemType;
  value: Uint8Array;
  version: number;
  createdAt: number;
  updatedAt: number;
}

/** What every successful answer carries, plus the operation's own fields. */
export interface AnswerCommon {
  /** The vault's state version after the operation; a device refuses one older than it has seen. */
  stateVersion: number;
}

/** The successful answer of each operation. */
export interface VaultResults {
  "vault.status": AnswerCommon & {
    initialized: boolean;
    unlocked: boolean;
    identityKey: Uint8Array | null;
    recovery: RecoveryNotice | null;
    /** The vault a completed recovery moved this one into: it then answers `vault.status` only. */
    recoveredInto: string | null;
  };
  "vault.init": AnswerCommon & { identityKey: Uint8Array; recoverySecret: Uint8Array };
  "vault.unlock": AnswerCommon;
  "vault.lock": AnswerCommon;
  "pin.change": AnswerCommon;
  "items.put": AnswerCommon & { version: number };
  "items.get": AnswerCommon & { item: ItemAnswer };
  "items.list": AnswerCommon & { items: Omit<ItemAnswer, "value" | "createdAt">[] };
  "items.delete": AnswerCommon;
  "identity.key": AnswerCommon & { identityKey: Uint8Array };
  "identity.sign": AnswerCommon & { signature: Uint8Array; identityKey: Uint8Array };
  "vault.audit": AnswerCommon & AuditPage;
  "vault.changes": AnswerCommon & ChangesPage;
  "device.pair.start": AnswerCommon & { secret: Uint8Array; expiresAt: number };
  "device.pair.join": AnswerCommon;
  "device.approve": AnswerCommon & { device: DeviceAnswer };
  "devices.list": AnswerCommon & { devices: DeviceAnswer[] };
  "device.revoke": AnswerCommon & { deviceId: string; revokedAt: number; statement: Uint8Array; signature: Uint8Array };
  "backup.export": AnswerCommon & { backup: Uint8Array; backupId: Uint8Array; exportedAt: number };
  "recovery.start": AnswerCommon & { sourceVaultId: string; readyAt: number };
  "recovery.complete": AnswerCommon & { sourceVaultId: string; identityKey: Uint8Array; items: number };
  "recovery.cancel": AnswerCommon;
}

/**
 * One page of the audit log (docs/protocol.md §Audit log): consecutive entries as
 * encoded (lib/vault-audit), the chain digest before the first, and the log's head
 * (its last sequence number, 0 when empty, and the digest after it).
 */
export interface AuditPage {
  entries: Uint8Array[];
  before: Uint8Array;
  headSeq: number;
  headDigest: Uint8Array;
}

/**
 * One page of a vault's changes (docs/protocol.md §Changes): consecutive committed
 * events as encoded (lib/vault-sync), the chain digest before the first, the head
 * (the last sequence number, 0 when none, and the digest after it), and a cursor to
 * hand back with the next request.
 */
export interface ChangesPage {
  events: Uint8Array[];
  before: Uint8Array;
  headSeq: number;
  headDigest: Uint8Array;
  cursor: number;
}

/** A failed operation: a typed code, a message without secrets, and when to retry. */
export interface VaultFailure {
  code: ErrorCode;
  message: string;
  /** For back-off (PIN_LOCKED_OUT): milliseconds until another attempt is allowed. */
  retryAfterMs?: number;
  /** The state version, when the vault has one. */
  stateVersion?: number;
}

const ALL_OPS = Object.values(VAULT_OPS) as VaultOp[];

/** True when `op` names an operation of this protocol version. */
export function isVaultOp(op: string): op is VaultOp {
  return (ALL_OPS as string[]).includes(op);
}

function pin(map: WireMap, key: string): string {
  return text(map, key, MIN_PIN_LENGTH, MAX_PIN_BYTES, MAX_PIN_BYTES);
}

function deviceId(map: WireMap): string {
  const value = text(map, "deviceId", 1, MAX_DEVICE_ID_LENGTH, MAX_DEVICE_ID_LENGTH);
  if (!/^[A-Za-z0-9_-]+$/.test(value)) throw new VettidError("VALIDATION_FAILED", "deviceId must be of [A-Za-z0-9_-]");
  return value;
}

function label(map: WireMap): string {
  const value = text(map, "label", 1, MAX_DEVICE_LABEL_LENGTH, MAX_DEVICE_LABEL_LENGTH * 4);
  if (/\p{Cs}/u.test(value)) throw new VettidError("VALIDATION_FAILED", "label must be well-formed Unicode");
  return value;
}

function itemName(map: WireMap): string {
  return text(map, "name", 1, MAX_ITEM_NAME_LENGTH, MAX_ITEM_NAME_LENGTH * 4);
}

/** The fields of `recovery.start` and `recovery.complete`: the backup, its secret, and the new vault's commitment. */
function recoveryFields(map: WireMap) {
  return {
    backup: bytes(map, "backup", 1, MAX_BACKUP_BYTES),
    recoverySecret: bytes(map, "recoverySecret", RECOVERY_SECRET_BYTES, RECOVERY_SECRET_BYTES),
    signingKey: bytes(map, "signingKey", 32, 32),
    vaultSalt: bytes(map, "vaultSalt", 16, 16),
  };
}

/** Encodes a request body (the envelope's plaintext; the op travels in the envelope). */
export function encodeRequest(request: VaultRequest): Uint8Array {
  const { op: _op, ...body } = request;
  return encodeWire(body as WireMap);
}

/**
 * Parses a request body for `op` (inside the enclave, after the envelope opened).
 * @throws VettidError `BAD_REQUEST` for an unknown op, `VALIDATION_FAILED` for a bad field.
 */
export function parseRequest(op: string, body: Uint8Array): VaultRequest {
  if (!isVaultOp(op)) throw new VettidError("BAD_REQUEST", "unknown operation");
  const map = decodeWire(body);
  switch (op) {
    case "vault.status":
    case "vault.lock":
    case "items.list":
    case "identity.key":
    case "devices.list":
      only(map, [], op);
      return { op };
    case "device.pair.start":
      only(map, ["pin"], op);
      return { op, pin: pin(map, "pin") };
    case "device.pair.join":
      only(map, ["signingKey", "label", "proof"], op);
      return {
        op,
        signingKey: bytes(map, "signingKey", 32, 32),
        label: label(map),
        proof: bytes(map, "proof", PAIRING_PROOF_BYTES, PAIRING_PROOF_BYTES),
      };
    case "device.approve":
    case "device.revoke":
      only(map, ["deviceId", "pin"], op);
      return { op, deviceId: deviceId(map), pin: pin(map, "pin") };
    case "backup.export":
    case "recovery.cancel":
      only(map, ["pin", "recoverySecret"], op);
      return {
        op,
        pin: pin(map, "pin"),
        recoverySecret: bytes(map, "recoverySecret", RECOVERY_SECRET_BYTES, RECOVERY_SECRET_BYTES),
      };
    case "recovery.start":
      only(map, ["backup", "recoverySecret", "signingKey", "vaultSalt", "pin"], op);
      return { op, ...recoveryFields(map), pin: pin(map, "pin") };
    case "recovery.complete":
      only(map, ["backup", "recoverySecret", "signingKey", "vaultSalt", "pin"], op);
      return { op, ...recoveryFields(map), pin: pin(map, "pin") };
    case "vault.init":
      only(map, ["pin", "signingKey", "vaultSalt"], op);
      return {
        op,
        pin: pin(map, "pin"),
        signingKey: bytes(map, "signingKey", 32, 32),
        vaultSalt: bytes(map, "vaultSalt", 16, 16),
      };
    case "vault.unlock":
      only(map, ["pin"], op);
      return { op, pin: pin(map, "pin") };
    case "pin.change":
      only(map, ["pin", "newPin"], op);
      return { op, pin: pin(map, "pin"), newPin: pin(map, "newPin") };
    case "items.put":
      only(map, ["name", "type", "value"], op);
      return {
        op,
        name: itemName(map),
        type: oneOf(map, "type", ITEM_TYPES),
        value: bytes(map, "value", 0, MAX_ITEM_VALUE_BYTES),
      };
    case "items.get":
    case "items.delete":
      only(map, ["name"], op);
      return { op, name: itemName(map) };
    case "identity.sign": {
      only(map, ["challenge"], op);
      const challenge = bytes(map, "challenge", 1, MAX_CHALLENGE_BYTES);
      if (startsWithReservedPrefix(challenge)) {
        throw new VettidError(
          "VALIDATION_FAILED",
          `challenge: one beginning with ${RESERVED_STATEMENT_PREFIX} is reserved for the vault's own statements`,
        );
      }
      return { op, challenge };
    }
    case "vault.audit": {
      only(map, ["fromSeq", "limit"], op);
      const fromSeq = map.fromSeq === undefined ? undefined : uint(map, "fromSeq");
      const limit = map.limit === undefined ? undefined : uint(map, "limit");
      if (fromSeq !== undefined && fromSeq < 1)
        throw new VettidError("VALIDATION_FAILED", "fromSeq must be at least 1");
      if (limit !== undefined && (limit < 1 || limit > MAX_AUDIT_PAGE)) {
        throw new VettidError("VALIDATION_FAILED", `limit must be 1..${MAX_AUDIT_PAGE}`);
      }
      return {
        op,
        ...(fromSeq !== undefined ? { fromSeq } : {}),
        ...(limit !== undefined ? { limit } : {}),
      };
    }
    case "vault.changes": {
      only(map, ["fromSeq", "cursor", "limit"], op);
      const fromSeq = map.fromSeq === undefined ? undefined : uint(map, "fromSeq");
      const cursor = map.cursor === undefined ? undefined : uint(map, "cursor");
      const limit = map.limit === undefined ? undefined : uint(map, "limit");
      if (fromSeq !== undefined && fromSeq < 1)
        throw new VettidError("VALIDATION_FAILED", "fromSeq must be at least 1");
      if (limit !== undefined && (limit < 1 || limit > MAX_CHANGES_PAGE)) {
        throw new VettidError("VALIDATION_FAILED", `limit must be 1..${MAX_CHANGES_PAGE}`);
      }
      return {
        op,
        ...(fromSeq !== undefined ? { fromSeq } : {}),
        ...(cursor !== undefined ? { cursor } : {}),
        ...(limit !== undefined ? { limit } : {}),
      };
    }
  }
}

/** Encodes a successful answer. */
export function encodeResult<O extends VaultOp>(_op: O, result: VaultResults[O]): Uint8Array {
  return encodeWire({ ok: true, ...(result as unknown as WireMap) });
}

/** Encodes a failure answer. */
export function encodeFailure(failure: VaultFailure): Uint8Array {
  return encodeWire({
    ok: false,
    code: failure.code,
    message: failure.message.slice(0, 500),
    ...(failure.retryAfterMs !== undefined ? { retryAfterMs: failure.retryAfterMs } : {}),
    ...(failure.stateVersion !== undefined ? { stateVersion: failure.stateVersion } : {}),
  });
}

/** The fields of each successful answer (besides `ok` and `stateVersion`); a device refuses any other. */
const ANSWER_FIELDS: { readonly [O in VaultOp]: readonly string[] } = {
  "vault.status": ["initialized", "unlocked", "identityKey", "recovery", "recoveredInto"],
  "vault.init": ["identityKey", "recoverySecret"],
  "vault.unlock": [],
  "vault.lock": [],
  "pin.change": [],
  "items.put": ["version"],
  "items.get": ["item"],
  "items.list": ["items"],
  "items.delete": [],
  "identity.key": ["identityKey"],
  "identity.sign": ["signature", "identityKey"],
  "vault.audit": ["entries", "before", "headSeq", "headDigest"],
  "vault.changes": ["events", "before", "headSeq", "headDigest", "cursor"],
  "device.pair.start": ["secret", "expiresAt"],
  "device.pair.join": [],
  "device.approve": ["device"],
  "devices.list": ["devices"],
  "device.revoke": ["deviceId", "revokedAt", "statement", "signature"],
  "backup.export": ["backup", "backupId", "exportedAt"],
  "recovery.start": ["sourceVaultId", "readyAt"],
  "recovery.complete": ["sourceVaultId", "identityKey", "items"],
  "recovery.cancel": [],
};

const DEVICE_FIELDS = ["deviceId", "status", "label", "fingerprint", "addedAt", "lastUsedAt", "sas"] as const;

function deviceAnswer(map: WireMap): DeviceAnswer {
  only(map, DEVICE_FIELDS, "device");
  const sas = map.sas === null ? null : text(map, "sas", 6, 6);
  if (sas !== null && !/^[0-9]{6}$/.test(sas)) throw new VettidError("VALIDATION_FAILED", "sas must be 6 digits");
  const fingerprint = text(map, "fingerprint", 39, 39);
  if (!/^[0-9a-f]{4}(:[0-9a-f]{4}){7}$/.test(fingerprint)) {
    throw new VettidError("VALIDATION_FAILED", "fingerprint must be 8 groups of 4 hex digits");
  }
  return {
    deviceId: deviceId(map),
    status: oneOf(map, "status", DEVICE_STATUSES),
    label: label(map),
    fingerprint,
    addedAt: uint(map, "addedAt"),
    lastUsedAt: map.lastUsedAt === null ? null : uint(map, "lastUsedAt"),
    sas,
  };
}

function vaultId(map: WireMap, key: string): string {
  const value = text(map, key, 1, 64, 64);
  if (!/^[A-Za-z0-9_-]+$/.test(value)) throw new VettidError("VALIDATION_FAILED", `${key} must be of [A-Za-z0-9_-]`);
  return value;
}

function recoveryNotice(map: WireMap): RecoveryNotice {
  only(map, ["targetVaultId", "requestedAt", "readyAt"], "recovery");
  return {
    targetVaultId: vaultId(map, "targetVaultId"),
    requestedAt: uint(map, "requestedAt"),
    readyAt: uint(map, "readyAt"),
  };
}

const ITEM_FIELDS = ["name", "type", "version", "updatedAt"] as const;

function item(map: WireMap, withValue: boolean) {
  only(map, withValue ? [...ITEM_FIELDS, "value", "createdAt"] : ITEM_FIELDS, "item");
  return {
    name: itemName(map),
    type: oneOf(map, "type", ITEM_TYPES),
    version: uint(map, "version"),
    updatedAt: uint(map, "updatedAt"),
    ...(withValue ? { value: bytes(map, "value", 0, MAX_ITEM_VALUE_BYTES), createdAt: uint(map, "createdAt") } : {}),
  };
}

/**
 * Parses an answer body for `op` (on the device, after the envelope opened).
 * @returns the result, or the failure.
 * @throws VettidError `BAD_REQUEST` / `VALIDATION_FAILED` for a malformed answer.
 */
export function parseAnswer<O extends VaultOp>(
  op: O,
  body: Uint8Array,
): { ok: true; result: VaultResults[O] } | { ok: false; failure: VaultFailure } {
  const map = decodeWire(body);
  if (map.ok === false) {
    only(map, ["ok", "code", "message", "retryAfterMs", "stateVersion"], "failure answer");
    const code = text(map, "code", 1, 64);
    return {
      ok: false,
      failure: {
        code: isErrorCode(code) ? code : "INTERNAL",
        message: text(map, "message", 0, 500),
        ...(map.retryAfterMs !== undefined ? { retryAfterMs: uint(map, "retryAfterMs") } : {}),
        ...(map.stateVersion !== undefined ? { stateVersion: uint(map, "stateVersion") } : {}),
      },
    };
  }
  if (map.ok !== true) throw new VettidError("BAD_REQUEST", "answer must say ok");
  const fields = ANSWER_FIELDS[op as VaultOp];
  if (fields === undefined) throw new VettidError("BAD_REQUEST", "unknown operation");
  only(map, ["ok", "stateVersion", ...fields], `${op} answer`);
  const stateVersion = uint(map, "stateVersion");
  let result: unknown;
  switch (op as VaultOp) {
    case "vault.status":
      result = {
        stateVersion,
        initialized: bool(map, "initialized"),
        unlocked: bool(map, "unlocked"),
        identityKey: map.identityKey === null ? null : bytes(map, "identityKey", 32, 32),
        recovery: map.recovery === null ? null : recoveryNotice(record(map.recovery, "recovery")),
        recoveredInto: map.recoveredInto === null ? null : vaultId(map, "recoveredInto"),
      };
      break;
    case "vault.init":
      result = {
        stateVersion,
        identityKey: bytes(map, "identityKey", 32, 32),
        recoverySecret: bytes(map, "recoverySecret", RECOVERY_SECRET_BYTES, RECOVERY_SECRET_BYTES),
      };
      break;
    case "backup.export":
      result = {
        stateVersion,
        backup: bytes(map, "backup", 1, MAX_BACKUP_BYTES),
        backupId: bytes(map, "backupId", 16, 16),
        exportedAt: uint(map, "exportedAt"),
      };
      break;
    case "recovery.start":
      result = { stateVersion, sourceVaultId: vaultId(map, "sourceVaultId"), readyAt: uint(map, "readyAt") };
      break;
    case "recovery.complete":
      result = {
        stateVersion,
        sourceVaultId: vaultId(map, "sourceVaultId"),
        identityKey: bytes(map, "identityKey", 32, 32),
        items: uint(map, "items"),
      };
      break;
    case "identity.key":
      result = { stateVersion, identityKey: bytes(map, "identityKey", 32, 32) };
      break;
    case "identity.sign":
      result = {
        stateVersion,
        signature: bytes(map, "signature", 64, 64),
        identityKey: bytes(map, "identityKey", 32, 32),
      };
      break;
    case "items.put":
      result = { stateVersion, version: uint(map, "version") };
      break;
    case "items.get":
      result = { stateVersion, item: item(record(map.item, "item"), true) };
      break;
    case "items.list": {
      const list = map.items;
      if (!Array.isArray(list)) throw new VettidError("VALIDATION_FAILED", "items must be a list");
      result = { stateVersion, items: list.map((entry) => item(record(entry, "items[]"), false)) };
      break;
    }
    case "vault.audit": {
      const list = map.entries;
      if (!Array.isArray(list) || list.length > MAX_AUDIT_PAGE) {
        throw new VettidError("VALIDATION_FAILED", `entries must be a list of at most ${MAX_AUDIT_PAGE}`);
      }
      const entries = list.map((entry) => {
        if (!(entry instanceof Uint8Array) || entry.length < 1 || entry.length > MAX_AUDIT_ENTRY_BYTES) {
          throw new VettidError("VALIDATION_FAILED", `entries[] must be 1..${MAX_AUDIT_ENTRY_BYTES} bytes`);
        }
        return entry;
      });
      result = {
        stateVersion,
        entries,
        before: bytes(map, "before", AUDIT_DIGEST_BYTES, AUDIT_DIGEST_BYTES),
        headSeq: uint(map, "headSeq"),
        headDigest: bytes(map, "headDigest", AUDIT_DIGEST_BYTES, AUDIT_DIGEST_BYTES),
      };
      break;
    }
    case "vault.changes": {
      const list = map.events;
      if (!Array.isArray(list) || list.length > MAX_CHANGES_PAGE) {
        throw new VettidError("VALIDATION_FAILED", `events must be a list of at most ${MAX_CHANGES_PAGE}`);
      }
      const events = list.map((event) => {
        if (!(event instanceof Uint8Array) || event.length < 1 || event.length > MAX_SYNC_EVENT_BYTES) {
          throw new VettidError("VALIDATION_FAILED", `events[] must be 1..${MAX_SYNC_EVENT_BYTES} bytes`);
        }
        return event;
      });
      result = {
        stateVersion,
        events,
        before: bytes(map, "before", SYNC_DIGEST_BYTES, SYNC_DIGEST_BYTES),
        headSeq: uint(map, "headSeq"),
        headDigest: bytes(map, "headDigest", SYNC_DIGEST_BYTES, SYNC_DIGEST_BYTES),
        cursor: uint(map, "cursor"),
      };
      break;
    }
    case "device.pair.start":
      result = {
        stateVersion,
        secret: bytes(map, "secret", PAIRING_SECRET_BYTES, PAIRING_SECRET_BYTES),
        expiresAt: uint(map, "expiresAt"),
      };
      break;
    case "device.approve":
      result = { stateVersion, device: deviceAnswer(record(map.device, "device")) };
      break;
    case "devices.list": {
      const list = map.devices;
      if (!Array.isArray(list) || list.length > 64) {
        throw new VettidError("VALIDATION_FAILED", "devices must be a list of at most 64");
      }
      result = { stateVersion, devices: list.map((entry) => deviceAnswer(record(entry, "devices[]"))) };
      break;
    }
    case "device.revoke":
      result = {
        stateVersion,
        deviceId: deviceId(map),
        revokedAt: uint(map, "revokedAt"),
        statement: bytes(map, "statement", 1, MAX_STATEMENT_BYTES),
        signature: bytes(map, "signature", 64, 64),
      };
      break;
    default:
      result = { stateVersion };
  }
  return { ok: true, result: result as VaultResults[O] };
}

const RESERVED_PREFIX_BYTES = new TextEncoder().encode(RESERVED_STATEMENT_PREFIX);

/** Whether a challenge begins with the bytes of {@link RESERVED_STATEMENT_PREFIX}. */
function startsWithReservedPrefix(challenge: Uint8Array): boolean {
  if (challenge.length < RESERVED_PREFIX_BYTES.length) return false;
  return RESERVED_PREFIX_BYTES.every((b, i) => challenge[i] === b);
}
