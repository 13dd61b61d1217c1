import { sodium, sodiumReady } from "../../../../lib/crypto";
import {
  isStateInvalid,
  MAX_BACKUP_RECORDS,
  MAX_RESTORES_PER_BACKUP,
  NO_PIN_FAILURES,
  openOuter,
  parseStateBlob,
  type RecoveryState,
  StateRejected,
  sealState,
} from "../../../../vault-enclave/state";
import { fullInner, fullOuter, T0, thrown, VAULT_A, VAULT_B, type VaultKeys, vaultKeys } from "./fixtures";

let keys: VaultKeys;

beforeAll(async () => {
  await sodiumReady();
  keys = vaultKeys(VAULT_A);
});

const id = () => sodium().randombytes_buf(16);
const sealWith = (recovery: RecoveryState) =>
  sealState({ ...keys, outer: { ...fullOuter(keys, 3), recovery }, inner: fullInner(), previousVersion: 2 });

describe("sealed vault state: the recovery record (format 3)", () => {
  it("keeps full backup records and a pending recovery across a seal and an open", () => {
    // Prepare: as many records as allowed, each restored as often as allowed
    const backups = Array.from({ length: MAX_BACKUP_RECORDS }, (_, i) => ({
      backupId: id(),
      exportedAt: T0 + i,
      restoredInto: i === 0 ? [] : Array.from({ length: MAX_RESTORES_PER_BACKUP }, (_, j) => `vault-${i}-${j}`),
    }));
    const recovery: RecoveryState = {
      backups,
      pending: {
        backupId: (backups[0] as { backupId: Uint8Array }).backupId,
        targetVaultId: VAULT_B,
        requestedAt: T0,
        readyAt: T0 + 86_400_000,
      },
      recoveredInto: "vault-1-0",
      attempts: { ...NO_PIN_FAILURES },
    };

    // Act
    const blob = sealWith(recovery);
    const opened = openOuter(parseStateBlob(blob), keys);

    // Assess
    expect(blob[4]).toBe(4); // format 4 keeps format 3's record as it is
    expect(opened.recovery).toEqual(recovery);
  });

  it("refuses to seal a record the rules exclude, naming the field", () => {
    // Prepare
    const one = { backupId: id(), exportedAt: T0, restoredInto: [] as string[] };
    const bad: Record<string, RecoveryState> = {
      tooMany: {
        backups: Array.from({ length: MAX_BACKUP_RECORDS + 1 }, () => ({ ...one, backupId: id() })),
        pending: null,
        recoveredInto: null,
        attempts: { ...NO_PIN_FAILURES },
      },
      duplicateIds: {
        backups: [one, { ...one }],
        pending: null,
        recoveredInto: null,
        attempts: { ...NO_PIN_FAILURES },
      },
      restoredTooOften: {
        backups: [{ ...one, restoredInto: ["a", "b", "c"].slice(0, MAX_RESTORES_PER_BACKUP + 1) }],
        pending: null,
        recoveredInto: null,
        attempts: { ...NO_PIN_FAILURES },
      },
      pendingWithoutRecord: {
        backups: [one],
        pending: { backupId: id(), targetVaultId: VAULT_B, requestedAt: T0, readyAt: T0 },
        recoveredInto: null,
        attempts: { ...NO_PIN_FAILURES },
      },
      pendingIntoItself: {
        backups: [one],
        pending: { backupId: one.backupId, targetVaultId: VAULT_A, requestedAt: T0, readyAt: T0 },
        recoveredInto: null,
        attempts: { ...NO_PIN_FAILURES },
      },
      recoveredIntoItself: { backups: [one], pending: null, recoveredInto: VAULT_A, attempts: { ...NO_PIN_FAILURES } },
      readyBeforeAsked: {
        backups: [one],
        pending: { backupId: one.backupId, targetVaultId: VAULT_B, requestedAt: T0, readyAt: T0 - 1 },
        recoveredInto: null,
        attempts: { ...NO_PIN_FAILURES },
      },
    };

    // Act
    const refusals = Object.fromEntries(
      Object.entries(bad).map(([name, recovery]) => {
        const err = thrown(() => sealWith(recovery));
        return [name, err instanceof StateRejected && err.code === "VALIDATION_FAILED"];
      }),
    );

    // Assess
    expect(refusals).toEqual(Object.fromEntries(Object.keys(bad).map((name) => [name, true])));
  });

  it("opens a format 3 outer layer only as format 3", () => {
    // Prepare
    const blob = sealWith({ backups: [], pending: null, recoveredInto: null, attempts: { ...NO_PIN_FAILURES } });
    const asV2 = blob.slice();
    asV2[4] = 2;

    // Act
    const err = thrown(() => openOuter(asV2, keys));

    // Assess
    expect(isStateInvalid(err)).toBe(true);
  });
});
