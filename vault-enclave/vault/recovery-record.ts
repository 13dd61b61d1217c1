import { VettidError } from "../../lib/errors";
import {
  type BackupRecord,
  MAX_BACKUP_RECORDS,
  MAX_RESTORES_PER_BACKUP,
  mayTryPin,
  NO_PIN_FAILURES,
  nextAttemptState,
  type OuterState,
  type PendingRecovery,
  PinLockedOut,
} from "../state";

/**
 * The source vault's side of backup and recovery (docs/decisions/0068) as pure
 * changes to its outer state: which backups it exported, how often each was restored
 * and into which vaults, and the one recovery waiting for its delay. Each change
 * returns the next outer state (version + 1) or throws; nothing is written here.
 */

/** A pending recovery not completed this long after it became ready lapses: a new one may replace it. */
export const PENDING_RECOVERY_LAPSE_MS = 7 * 86_400_000;

const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/** Lower-case hex of a backup id, as audit entries and messages name it. */
export function backupIdHex(backupId: Uint8Array): string {
  return Buffer.from(backupId).toString("hex");
}

/**
 * Records an exported backup. The newest {@link MAX_BACKUP_RECORDS} stay restorable;
 * beyond, the oldest record goes, never the one a pending recovery names.
 */
export function recordExport(outer: OuterState, backupId: Uint8Array, exportedAt: number): OuterState {
  const pending = outer.recovery.pending;
  const backups: BackupRecord[] = [
    ...outer.recovery.backups,
    { backupId: new Uint8Array(backupId), exportedAt, restoredInto: [] },
  ];
  while (backups.length > MAX_BACKUP_RECORDS) {
    const drop = backups.findIndex((b) => !pending || !same(b.backupId, pending.backupId));
    backups.splice(drop, 1);
  }
  return { ...outer, stateVersion: outer.stateVersion + 1, recovery: { ...outer.recovery, backups, pending } };
}

function recordOf(outer: OuterState, backupId: Uint8Array): BackupRecord {
  const record = outer.recovery.backups.find((b) => same(b.backupId, backupId));
  if (!record) {
    throw new VettidError(
      "RECOVERY_UNAVAILABLE",
      "the vault keeps no record of this backup: it was not exported there, or newer backups replaced it",
    );
  }
  return record;
}

/**
 * That `record` may be restored into one more vault: once a recovery retired the vault,
 * only the backup that recovery restored may (its one more restore, should the restored
 * vault be lost); any other of its backups would make one more copy of the identity key
 * that no device of the vault can cancel any more.
 */
function assertRestorableAfterRetirement(outer: OuterState, record: BackupRecord): void {
  const into = outer.recovery.recoveredInto;
  if (into !== null && !record.restoredInto.includes(into)) {
    throw new VettidError(
      "RECOVERY_UNAVAILABLE",
      "the vault was recovered with another of its backups; only that one may be restored again",
    );
  }
}

/** What {@link requestRecovery} decided. */
export type RecoveryRequest =
  /** A new pending recovery to write. */
  | { kind: "write"; outer: OuterState; readyAt: number }
  /** Nothing to write: this recovery is pending already, or its restore was counted already. */
  | { kind: "unchanged"; readyAt: number };

/**
 * Asks for a recovery of `backupId` into `target` at `now`, ready after `delayMs`.
 * The same request again (a retry) changes nothing.
 * @throws VettidError `RECOVERY_UNAVAILABLE` when the backup has no record, was
 *   restored into as many vaults as allowed, another recovery waits, or the vault was
 *   retired by a recovery of another of its backups.
 */
export function requestRecovery(
  outer: OuterState,
  backupId: Uint8Array,
  target: string,
  now: number,
  delayMs: number,
): RecoveryRequest {
  if (target === outer.vaultId) throw new VettidError("RECOVERY_UNAVAILABLE", "a vault does not recover into itself");
  const record = recordOf(outer, backupId);
  if (record.restoredInto.includes(target)) return { kind: "unchanged", readyAt: now };
  assertRestorableAfterRetirement(outer, record);
  const pending = outer.recovery.pending;
  if (pending && same(pending.backupId, backupId) && pending.targetVaultId === target && !lapsed(pending, now)) {
    return { kind: "unchanged", readyAt: pending.readyAt };
  }
  if (record.restoredInto.length >= MAX_RESTORES_PER_BACKUP) {
    throw new VettidError(
      "RECOVERY_UNAVAILABLE",
      `this backup was restored into ${MAX_RESTORES_PER_BACKUP} vaults already; export a newer one`,
    );
  }
  if (pending && !lapsed(pending, now)) {
    throw new VettidError(
      "RECOVERY_UNAVAILABLE",
      "another recovery of this vault waits; a device of the vault can cancel it, or it lapses",
    );
  }
  const readyAt = now + delayMs;
  const next: PendingRecovery = {
    backupId: new Uint8Array(backupId),
    targetVaultId: target,
    requestedAt: now,
    readyAt,
  };
  return {
    kind: "write",
    outer: { ...outer, stateVersion: outer.stateVersion + 1, recovery: { ...outer.recovery, pending: next } },
    readyAt,
  };
}

function lapsed(pending: PendingRecovery, now: number): boolean {
  return now > pending.readyAt + PENDING_RECOVERY_LAPSE_MS;
}

/**
 * Whether the recovery of `backupId` into `target` may complete at `now`: its delay
 * passed (or its restore was counted already, by an attempt whose restored vault was
 * never written).
 * @throws VettidError `RECOVERY_PENDING` (with `lockedUntil`) before the delay
 *   passed; `RECOVERY_UNAVAILABLE` when no such recovery was asked for.
 */
export function assertRecoveryReady(outer: OuterState, backupId: Uint8Array, target: string, now: number): void {
  const record = recordOf(outer, backupId);
  if (record.restoredInto.includes(target)) return;
  assertRestorableAfterRetirement(outer, record);
  const pending = outer.recovery.pending;
  if (!pending || !same(pending.backupId, backupId) || pending.targetVaultId !== target || lapsed(pending, now)) {
    throw new VettidError(
      "RECOVERY_UNAVAILABLE",
      "no recovery of this backup into this vault waits; start one (recovery.start) first",
    );
  }
  if (now < pending.readyAt) {
    throw Object.assign(
      new VettidError("RECOVERY_PENDING", "the recovery waits for its delay; the vault's devices can still cancel it"),
      { lockedUntil: pending.readyAt },
    );
  }
  if (record.restoredInto.length >= MAX_RESTORES_PER_BACKUP) {
    throw new VettidError(
      "RECOVERY_UNAVAILABLE",
      `this backup was restored into ${MAX_RESTORES_PER_BACKUP} vaults already`,
    );
  }
}

/**
 * The outer state to write before the backup's PIN is checked at a recovery's
 * completion: the attempt counted as a failure in the recovery's own counter
 * (`recovery.attempts`), with the back-off and lock-out of the unlock attempts but
 * apart from them, so wrong unlocks by a device without the PIN never close the
 * vault's recovery, and wrong PINs at recovery never lock the vault's devices out.
 * @throws PinLockedOut while its back-off holds; VettidError `PIN_ATTEMPTS_EXHAUSTED`
 *   once its attempts are spent (the vault can then no longer be recovered).
 */
export function beginRecoveryPinAttempt(outer: OuterState, now: number): OuterState {
  const attempts = outer.recovery.attempts;
  const decision = mayTryPin(attempts, now);
  if (!decision.allowed) {
    if (Number.isFinite(decision.lockedUntil)) throw new PinLockedOut(decision.lockedUntil);
    throw new VettidError(
      "PIN_ATTEMPTS_EXHAUSTED",
      "too many wrong PINs at recovery; this vault can no longer be recovered",
    );
  }
  return {
    ...outer,
    stateVersion: outer.stateVersion + 1,
    recovery: { ...outer.recovery, attempts: nextAttemptState(attempts, "failure", now) },
  };
}

/**
 * Counts the restore of `backupId` into `target` (once per vault), ends the pending
 * recovery, resets the recovery's PIN attempts, and records the vault as recovered
 * (into the first such target): from then on it answers `vault.status` only.
 */
export function markRestored(outer: OuterState, backupId: Uint8Array, target: string): OuterState {
  const backups = outer.recovery.backups.map((b) =>
    same(b.backupId, backupId) && !b.restoredInto.includes(target)
      ? { ...b, restoredInto: [...b.restoredInto, target] }
      : b,
  );
  const pending = outer.recovery.pending;
  const ends = pending && same(pending.backupId, backupId) && pending.targetVaultId === target;
  return {
    ...outer,
    stateVersion: outer.stateVersion + 1,
    recovery: {
      backups,
      pending: ends ? null : pending,
      recoveredInto: outer.recovery.recoveredInto ?? target,
      attempts: { ...NO_PIN_FAILURES },
    },
  };
}

/**
 * Cancels the pending recovery.
 * @throws VettidError `NOT_FOUND` when none waits.
 */
export function cancelRecovery(outer: OuterState): { outer: OuterState; cancelled: PendingRecovery } {
  const pending = outer.recovery.pending;
  if (!pending) throw new VettidError("NOT_FOUND", "no recovery of this vault waits");
  return {
    outer: { ...outer, stateVersion: outer.stateVersion + 1, recovery: { ...outer.recovery, pending: null } },
    cancelled: pending,
  };
}
