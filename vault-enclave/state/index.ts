/**
 * The vault's sealed state (docs/decisions/0055, README.md here): two layers in one
 * blob per vault, as pure functions. The runtime brings the root key (KMS) and the
 * bytes (blob channel); this module checks, opens and seals them.
 *
 * Every blob starts with the magic and a format version byte; this file dispatches
 * on that byte to the format's own file (`format-v1.ts`, …), which never changes once
 * released. New blobs are written in {@link CURRENT_FORMAT}; an outer-only rewrite
 * keeps the format of the blob it rewrites (its inner layer is kept byte for byte).
 *
 * @example
 * // Load, then unlock with a PIN.
 * const sealed = parseStateBlob(bytes);
 * const rootKey = await kms.decrypt(sealed.kmsCiphertextBlob, { vault: vaultId });
 * const outer = openOuter(sealed, { vaultId, rootKey });
 * assertNotOlder(seenVersion, outer.stateVersion);
 * const pending = beginPinAttempt(outer, now);
 * await blobs.put(stateBlobKey(vaultId), resealOuter(sealed, pending, { vaultId, rootKey }), expected);
 * const pinKey = derivePinKey(pin, outer.pin.salt, outer.pin.kdf);
 * const inner = openInner(sealed, pending, { vaultId, rootKey, pinKey }); // PinIncorrect → done
 */
import { sodium } from "../../lib/crypto";
import { blobKey } from "../../lib/proxy-protocol";
import { syncGenesis } from "../../lib/vault-sync";
import { emptyAuditLog } from "./audit-log";
import {
  MAX_KMS_BLOB_BYTES,
  MAX_STATE_BLOB_BYTES,
  STATE_BLOB_NAME,
  STATE_MAGIC,
  STATE_PREFIX_BYTES,
} from "./constants";
import { PinIncorrect, STATE_REJECTIONS, StateInvalid, StateWriteRefused } from "./errors";
import { FORMAT_V1, formatV1 } from "./format-v1";
import { FORMAT_V2, formatV2 } from "./format-v2";
import { FORMAT_V3, formatV3 } from "./format-v3";
import { FORMAT_V4, formatV4 } from "./format-v4";
import { innerKey, outerKey, verifyPin } from "./keys";
import { layerDigest } from "./layer";
import { NO_PIN_FAILURES } from "./pin-attempts";
import type {
  ChangeHead,
  InnerState,
  OuterFields,
  OuterState,
  RecoveryState,
  SealedState,
  StateFormat,
  WrittenState,
} from "./types";

export {
  type AuditSegmentContent,
  appendAudit,
  auditHead,
  checkAuditLog,
  emptyAuditLog,
  segmentFirstSeq,
  tailFirstSeq,
} from "./audit-log";
export { auditSegmentBlobKey, MAX_AUDIT_SEGMENT_BYTES, openAuditSegment, sealAuditSegment } from "./audit-segment";
export {
  BACKUP_FORMAT_V1,
  type BackupContent,
  type BackupHeader,
  type BackupKeys,
  backupKey,
  backupKmsContext,
  MAX_BACKUP_BYTES,
  openBackup,
  type ParsedBackup,
  parseBackup,
  sealBackup,
} from "./backup";
export {
  ARGON2ID_BOUNDS,
  AUDIT_SEGMENT_ENTRIES,
  BACKUP_ID_BYTES,
  DEFAULT_ARGON2ID,
  FREE_PIN_FAILURES,
  ITEM_TYPES,
  MAX_AUDIT_TAIL_ENTRIES,
  MAX_BACKUP_RECORDS,
  MAX_DEVICES,
  MAX_ITEM_NAME_LENGTH,
  MAX_ITEM_VALUE_BYTES,
  MAX_ITEMS,
  MAX_PENDING_DEVICES,
  MAX_PIN_BYTES,
  MAX_PIN_FAILURES,
  MAX_RESTORES_PER_BACKUP,
  MAX_STATE_BLOB_BYTES,
  PIN_BACKOFF_BASE_MS,
  STATE_BLOB_NAME,
} from "./constants";
export {
  isStateInvalid,
  PinAttemptsExhausted,
  PinIncorrect,
  PinLockedOut,
  SealedStateError,
  STATE_REJECTIONS,
  StateInvalid,
  StateRejected,
  type StateRejection,
  StateRolledBack,
  StateWriteRefused,
} from "./errors";
export { createPinRecord, derivePinKey, pinVerifier, verifyPin } from "./keys";
export { layerDigest } from "./layer";
export {
  backoffMs,
  beginPinAttempt,
  completePinAttempt,
  mayTryPin,
  NO_PIN_FAILURES,
  nextAttemptState,
  type PinAttemptDecision,
} from "./pin-attempts";
export type {
  Argon2idParams,
  AuditLog,
  BackupRecord,
  ChangeHead,
  DeviceKey,
  InnerRef,
  InnerState,
  ItemType,
  OuterFields,
  OuterState,
  PendingDevice,
  PendingRecovery,
  PinAttemptState,
  PinRecord,
  RecoveryState,
  SealedLayer,
  SealedState,
  VaultItem,
  WrittenState,
} from "./types";
export { assertNotOlder } from "./versions";
export { wipe } from "./wipe";

/** Every format this release reads, by version byte. */
const FORMATS: ReadonlyMap<number, StateFormat> = new Map([
  [FORMAT_V1, formatV1],
  [FORMAT_V2, formatV2],
  [FORMAT_V3, formatV3],
  [FORMAT_V4, formatV4],
]);

/**
 * Every inner payload format this release reads, by the outer layer's `inner.format`:
 * the first format that writes it (format 2 writes format 1's inner payload).
 */
const INNER_FORMATS: ReadonlyMap<number, StateFormat> = new Map(
  [...FORMATS.values()].reverse().map((format) => [format.innerFormat, format]),
);

/** The format new blobs are written in. */
export const CURRENT_FORMAT: StateFormat = formatV4;

/** The recovery record of a vault that exported no backup and waits for no recovery. */
export const NO_RECOVERY: Readonly<RecoveryState> = Object.freeze({
  backups: [],
  pending: null,
  recoveredInto: null,
  attempts: NO_PIN_FAILURES,
});

/** The change head of a vault that recorded no change yet (its first event takes 1). */
export function noChanges(vaultId: string): ChangeHead {
  return { nextSeq: 1, head: syncGenesis(vaultId), position: 0 };
}

/** What opens the outer layer: the vault's id and the root key KMS released for it. */
export interface RootKeys {
  vaultId: string;
  rootKey: Uint8Array;
}

/** What opens the inner layer as well: the PIN key (`derivePinKey`). */
export interface UnlockKeys extends RootKeys {
  pinKey: Uint8Array;
}

/** A whole new state to seal, both layers. */
export interface SealStateInput extends UnlockKeys {
  /** The KMS `CiphertextBlob` of `rootKey`, stored beside the layers. */
  kmsCiphertextBlob: Uint8Array;
  /** The new outer state; its `stateVersion` is the new version. Any `inner` reference is replaced. */
  outer: OuterFields;
  inner: InnerState;
  /** The version of the blob this one replaces; 0 when the vault is created. */
  previousVersion: number;
}

/** The blob store key of a vault's state: `vaults/<vaultId>/state`. */
export function stateBlobKey(vaultId: string): string {
  return blobKey(vaultId, STATE_BLOB_NAME);
}

/**
 * Reads a blob's layout: size, magic, format version, then the format's own fields,
 * every length checked before it is used. Authenticates nothing: `stateVersion` is a
 * claim until {@link openOuter} confirms it.
 *
 * @throws StateInvalid for anything that is not a well-formed blob of a known format.
 */
export function parseStateBlob(bytes: Uint8Array): SealedState {
  if (bytes.length > MAX_STATE_BLOB_BYTES) {
    throw new StateInvalid(STATE_REJECTIONS.tooLarge, `blob of ${bytes.length} bytes exceeds ${MAX_STATE_BLOB_BYTES}`);
  }
  if (bytes.length < STATE_PREFIX_BYTES) throw new StateInvalid(STATE_REJECTIONS.truncated, "blob too short");
  for (let i = 0; i < STATE_MAGIC.length; i++) {
    if (bytes[i] !== STATE_MAGIC[i]) throw new StateInvalid(STATE_REJECTIONS.badMagic, "not a vault state blob");
  }
  const version = bytes[STATE_MAGIC.length] as number;
  const format = FORMATS.get(version);
  if (format === undefined) {
    throw new StateInvalid(STATE_REJECTIONS.unsupportedVersion, `state format ${version} is not supported`);
  }
  return format.parse(bytes);
}

/**
 * Opens the outer layer with the root key alone and returns it; its `stateVersion`
 * is now authenticated: compare it with the last one seen ({@link assertNotOlder}).
 *
 * @throws StateInvalid for a wrong root key, another vault's blob, a spliced or
 *   tampered blob (all look alike), or anything {@link parseStateBlob} refuses.
 */
export function openOuter(blob: Uint8Array | SealedState, keys: RootKeys): OuterState {
  const sealed = blob instanceof Uint8Array ? parseStateBlob(blob) : blob;
  const format = FORMATS.get(sealed.formatVersion);
  if (format === undefined) {
    throw new StateInvalid(
      STATE_REJECTIONS.unsupportedVersion,
      `state format ${sealed.formatVersion} is not supported`,
    );
  }
  const key = outerKey(keys.rootKey, keys.vaultId);
  try {
    const outer = format.openOuter(sealed, keys.vaultId, key);
    // A format without the change head (formats 1 to 3) opens with none recorded; one
    // without a recovery record (formats 1 and 2) also with an empty one; one without
    // an audit log (format 1) also with an empty log, no pending device and no last use
    // recorded. Their next write is the current format.
    const changes = noChanges(keys.vaultId);
    if ("changes" in outer) return outer;
    if ("recovery" in outer) return { ...outer, changes };
    if ("audit" in outer)
      return {
        ...outer,
        recovery: { backups: [], pending: null, recoveredInto: null, attempts: { ...NO_PIN_FAILURES } },
        changes,
      };
    return {
      ...outer,
      devices: outer.devices.map((d) => ({ ...d, lastUsedAt: null, sas: null })),
      pending: [],
      audit: emptyAuditLog(keys.vaultId),
      recovery: { backups: [], pending: null, recoveredInto: null, attempts: { ...NO_PIN_FAILURES } },
      changes,
    };
  } finally {
    sodium().memzero(key);
  }
}

/**
 * Opens the inner layer of `sealed`, whose outer layer is `outer` (as opened from it,
 * or the pending state of `beginPinAttempt`, which keeps the same inner reference).
 * The PIN key is checked against the outer layer's verifier first, in constant time:
 * a wrong PIN never reaches the inner layer. Run `beginPinAttempt` and write its
 * state before calling this with a PIN a person typed.
 *
 * @throws PinIncorrect when the PIN key does not match the verifier.
 * @throws StateInvalid when the inner layer is not the one `outer` names, or does
 *   not authenticate or decode.
 */
export function openInner(sealed: SealedState, outer: OuterState, keys: UnlockKeys): InnerState {
  if (!verifyPin(outer.pin, keys.pinKey)) throw new PinIncorrect();
  if (!sodium().memcmp(layerDigest(sealed.inner), outer.inner.digest)) {
    throw new StateInvalid(STATE_REJECTIONS.innerMismatch, "the outer layer names another inner layer");
  }
  const format = INNER_FORMATS.get(outer.inner.format);
  if (format === undefined) {
    throw new StateInvalid(STATE_REJECTIONS.unsupportedVersion, `inner format ${outer.inner.format} is not supported`);
  }
  const key = innerKey(keys.rootKey, keys.pinKey, keys.vaultId);
  try {
    return format.openInner(sealed.inner, outer.inner.version, keys.vaultId, key);
  } finally {
    sodium().memzero(key);
  }
}

/**
 * Seals a whole new state (both layers) in {@link CURRENT_FORMAT}: on vault creation,
 * on every change to the items or the identity key, on a PIN change (new record,
 * new PIN key). The inner layer is sealed at `outer.stateVersion`.
 *
 * @throws StateWriteRefused when the version does not increase, the ids differ, the
 *   KMS blob is out of bounds or `pinKey` does not match `outer.pin` (it would seal an
 *   inner layer no PIN opens).
 * @throws StateRejected `VALIDATION_FAILED` for a field out of bounds,
 *   `PAYLOAD_TOO_LARGE` above the blob limit.
 */
export function sealState(input: SealStateInput): Uint8Array {
  return sealStateParts(input).bytes;
}

/**
 * {@link sealState}, returning with the blob what opening it gives back (the parsed
 * layout and the outer layer): a writer keeps those rather than open its own blob.
 */
export function sealStateParts(input: SealStateInput): WrittenState {
  const { vaultId, outer } = input;
  checkNewVersion(input.previousVersion, outer.stateVersion);
  if (outer.vaultId !== vaultId) throw new StateWriteRefused("the outer state belongs to another vault");
  const kms = input.kmsCiphertextBlob;
  if (!(kms instanceof Uint8Array) || kms.length < 1 || kms.length > MAX_KMS_BLOB_BYTES) {
    throw new StateWriteRefused(`the KMS blob is 1 to ${MAX_KMS_BLOB_BYTES} bytes`);
  }
  if (!verifyPin(outer.pin, input.pinKey)) throw new StateWriteRefused("the PIN key does not match the PIN record");
  const keyOuter = outerKey(input.rootKey, vaultId);
  const keyInner = innerKey(input.rootKey, input.pinKey, vaultId);
  try {
    return CURRENT_FORMAT.seal({
      vaultId,
      kmsCiphertextBlob: kms,
      outer,
      inner: input.inner,
      outerKey: keyOuter,
      innerKey: keyInner,
    });
  } finally {
    sodium().memzero(keyOuter);
    sodium().memzero(keyInner);
  }
}

/**
 * Seals a new outer layer over the inner layer of `previous`, kept byte for byte:
 * for changes the runtime makes without the PIN (an attempt counted, a device added
 * or revoked). `previous` must be the state `outer` was opened from (its KMS blob is
 * kept too). The blob is written in {@link CURRENT_FORMAT} when that format carries
 * `previous`'s inner layer as it is (so a format 1 blob moves to format 2 on its first
 * rewrite), else in `previous`'s format.
 *
 * @throws StateWriteRefused when the version does not increase, the ids differ or
 *   `outer` names another inner layer than `previous` holds.
 * @throws StateRejected `VALIDATION_FAILED` / `PAYLOAD_TOO_LARGE` as {@link sealState}.
 */
export function resealOuter(previous: SealedState, outer: OuterState, keys: RootKeys): Uint8Array {
  return resealOuterParts(previous, outer, keys).bytes;
}

/** {@link resealOuter}, returning with the blob its parsed layout and outer layer ({@link sealStateParts}). */
export function resealOuterParts(previous: SealedState, outer: OuterState, keys: RootKeys): WrittenState {
  checkNewVersion(previous.stateVersion, outer.stateVersion);
  if (outer.vaultId !== keys.vaultId) throw new StateWriteRefused("the outer state belongs to another vault");
  if (!sodium().memcmp(layerDigest(previous.inner), outer.inner.digest)) {
    throw new StateWriteRefused("the outer state names another inner layer than the previous blob holds");
  }
  const format =
    outer.inner.format === CURRENT_FORMAT.innerFormat ? CURRENT_FORMAT : FORMATS.get(previous.formatVersion);
  if (format === undefined) throw new StateWriteRefused(`state format ${previous.formatVersion} is not supported`);
  if (!format.holdsAudit && (outer.audit.nextSeq !== 1 || outer.audit.tail.length > 0 || outer.pending.length > 0)) {
    throw new StateWriteRefused(`state format ${format.version} cannot hold the audit log or pending devices`);
  }
  const recovery = outer.recovery;
  if (!format.holdsRecovery && (recovery.backups.length > 0 || recovery.pending !== null || recovery.recoveredInto)) {
    throw new StateWriteRefused(`state format ${format.version} cannot hold the recovery record`);
  }
  if (!format.holdsChanges && outer.changes.nextSeq !== 1) {
    throw new StateWriteRefused(`state format ${format.version} cannot hold the change head`);
  }
  const key = outerKey(keys.rootKey, keys.vaultId);
  try {
    return format.resealOuter(previous, outer, key);
  } finally {
    sodium().memzero(key);
  }
}

function checkNewVersion(previous: number, next: number): void {
  if (!Number.isSafeInteger(previous) || previous < 0) {
    throw new StateWriteRefused("the previous version is not a non-negative safe integer");
  }
  if (!Number.isSafeInteger(next) || next <= previous) {
    throw new StateWriteRefused(`state version ${next} does not follow ${previous}`);
  }
}
