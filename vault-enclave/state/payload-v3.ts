import * as z from "../../lib/zod";
import { encodePayload } from "./cbor";
import { BACKUP_ID_BYTES, MAX_BACKUP_RECORDS, MAX_RESTORES_PER_BACKUP, MAX_TIME_MS } from "./constants";
import { STATE_REJECTIONS, StateInvalid, StateRejected } from "./errors";
import { checkDecodedOuter, checkForWrite, checkOuterV2, OuterSchemaV2, outerPayloadV2 } from "./payload-v2";
import type { OuterState, OuterWithoutChanges } from "./types";

/**
 * The outer payload of format 3: format 2's outer map plus the recovery record
 * (docs/decisions/0068). The inner payload is still inner format 1 (payload-v1.ts).
 *
 * Added, at the top level (so no value nests deeper than the CBOR pre-pass allows):
 * `backups: [{backupId, exportedAt, restoredInto: [vault id]}]`, `pendingRecovery:
 * null | {backupId, targetVaultId, requestedAt, readyAt}` and `recoveredInto: null |
 * vault id` and `recoveryAttempts: {failures, lockedUntil, lastFailureAt}` (the attempts
 * at the backup's PIN when a recovery completes, apart from the unlock attempts)
 * (`OuterState.recovery`); at most
 * {@link MAX_BACKUP_RECORDS} backups with distinct ids, each restored into at most
 * {@link MAX_RESTORES_PER_BACKUP} distinct vaults; a pending recovery names a backup
 * of the list and a vault it was not restored into, and is ready no earlier than asked.
 *
 * This file never changes once released.
 */

const ID = /^[A-Za-z0-9_-]{1,64}$/;

const id = z.string().check(z.regex(ID, "must be 1-64 of [A-Za-z0-9_-]"));
const backupId = z.custom<Uint8Array>(
  (v) => v instanceof Uint8Array && v.length === BACKUP_ID_BYTES,
  `must be ${BACKUP_ID_BYTES} bytes`,
);
const time = z.int().check(z.gte(0), z.lte(MAX_TIME_MS));
const count = z.int().check(z.gte(0));
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

const BackupSchema = z.strictObject({
  backupId,
  exportedAt: time,
  restoredInto: z.array(id).check(
    z.maxLength(MAX_RESTORES_PER_BACKUP),
    z.refine((list) => new Set(list).size === list.length, "restored vaults must be distinct"),
  ),
});

/** Format 3's outer schema (format 4 extends it). */
export const OuterSchemaV3 = z.extend(OuterSchemaV2, {
  backups: z.array(BackupSchema).check(
    z.maxLength(MAX_BACKUP_RECORDS),
    z.refine((list) => new Set(list.map((b) => hex(b.backupId))).size === list.length, "backup ids must be unique"),
  ),
  recoveredInto: z.nullable(id),
  recoveryAttempts: z.strictObject({ failures: count, lockedUntil: z.nullable(time), lastFailureAt: z.nullable(time) }),
  pendingRecovery: z.nullable(
    z
      .strictObject({ backupId, targetVaultId: id, requestedAt: time, readyAt: time })
      .check(z.refine((p) => p.readyAt >= p.requestedAt, "readyAt must not precede requestedAt")),
  ),
});

/**
 * Encodes an outer state (with its inner reference) as the format 3 payload.
 * @throws StateRejected `VALIDATION_FAILED` naming the first field out of bounds.
 */
export function encodeOuterV3(outer: OuterWithoutChanges): Uint8Array {
  const payload = outerPayloadV3(outer);
  checkForWrite(OuterSchemaV3, payload);
  checkOuterV3(outer);
  return encodePayload(payload);
}

/** The format 3 payload map of `outer`, unchecked (format 4 adds to it). */
export function outerPayloadV3(outer: OuterWithoutChanges) {
  return {
    ...outerPayloadV2(outer),
    backups: outer.recovery.backups.map((b) => ({
      backupId: b.backupId,
      exportedAt: b.exportedAt,
      restoredInto: [...b.restoredInto],
    })),
    recoveredInto: outer.recovery.recoveredInto,
    recoveryAttempts: {
      failures: outer.recovery.attempts.failures,
      lockedUntil: outer.recovery.attempts.lockedUntil,
      lastFailureAt: outer.recovery.attempts.lastFailureAt,
    },
    pendingRecovery: outer.recovery.pending
      ? {
          backupId: outer.recovery.pending.backupId,
          targetVaultId: outer.recovery.pending.targetVaultId,
          requestedAt: outer.recovery.pending.requestedAt,
          readyAt: outer.recovery.pending.readyAt,
        }
      : null,
  };
}

/**
 * Format 3's rules beyond the schema, for a write.
 * @throws StateRejected `VALIDATION_FAILED` naming the field.
 */
export function checkOuterV3(outer: OuterWithoutChanges): void {
  checkOuterV2(outer);
  const problem = recoveryProblem(outer);
  if (problem) throw new StateRejected("VALIDATION_FAILED", `outer.recovery: ${problem}`, { path: "outer.recovery" });
}

/**
 * Checks a decoded outer payload of format 3.
 * @throws StateInvalid `payload_invalid` naming the first field that does not match.
 */
export function decodeOuterV3(value: unknown): OuterWithoutChanges {
  return fromDecodedV3(checkDecodedOuter(OuterSchemaV3, value));
}

/** The outer state of a payload that passed format 3's schema (or one extending it), checked beyond it. */
export function fromDecodedV3<T extends z.infer<typeof OuterSchemaV3>>(
  decoded: T,
): Omit<T, "backups" | "pendingRecovery" | "recoveredInto" | "recoveryAttempts"> & Pick<OuterState, "recovery"> {
  const { backups, pendingRecovery, recoveredInto, recoveryAttempts, ...rest } = decoded;
  const outer = {
    ...rest,
    recovery: { backups, pending: pendingRecovery, recoveredInto, attempts: recoveryAttempts },
  };
  const problem = recoveryProblem(outer);
  if (problem) throw new StateInvalid(STATE_REJECTIONS.payloadInvalid, `outer.recovery: ${problem}`);
  return outer;
}

/** What is wrong with a recovery record beyond its schema, or undefined. */
function recoveryProblem(outer: Pick<OuterState, "vaultId" | "recovery">): string | undefined {
  const { backups, pending, recoveredInto } = outer.recovery;
  if (recoveredInto === outer.vaultId) return "a vault is not recovered into itself";
  if (pending === null) return undefined;
  const record = backups.find((b) => hex(b.backupId) === hex(pending.backupId));
  if (!record) return "the pending recovery names no backup of the list";
  if (pending.targetVaultId === outer.vaultId) return "a vault does not recover into itself";
  if (record.restoredInto.includes(pending.targetVaultId)) return "the pending recovery is already restored";
  return undefined;
}
