import fc from "fast-check";
import { sodium, sodiumReady } from "../../../lib/crypto";
import { VettidError } from "../../../lib/errors";
import { openBackup, parseBackup, sealBackup } from "../../../vault-enclave/state";
import { fullInner, fullOuter, VAULT_A, vaultKeys } from "../../unit/enclave/state/fixtures";

/**
 * The backup file parser and opener (vault-enclave/state/backup.ts), run inside the
 * enclave on bytes a device, and whoever held the file, sends: random bytes, any
 * truncation and any one-byte change are refused with `BACKUP_INVALID` only.
 */
describe("backup files", () => {
  let genuine: Uint8Array;
  let keys: { dataKey: Uint8Array; recoveryKey: Uint8Array };

  beforeAll(async () => {
    await sodiumReady();
    const vault = vaultKeys(VAULT_A);
    keys = { dataKey: sodium().randombytes_buf(32), recoveryKey: sodium().randombytes_buf(32) };
    genuine = sealBackup(
      {
        backupId: sodium().randombytes_buf(16),
        sourceVaultId: VAULT_A,
        exportedAt: 1_796_119_200_000,
        kmsCiphertextBlob: sodium().randombytes_buf(180),
      },
      { stateVersion: 7, pin: fullOuter(vault, 7).pin, inner: { ...fullInner(), recoveryKey: null } },
      keys,
    );
  });

  const refusedOnly = (bytes: Uint8Array): boolean => {
    try {
      openBackup(parseBackup(bytes), keys);
      return false;
    } catch (err) {
      return err instanceof VettidError && err.code === "BACKUP_INVALID";
    }
  };

  it("open the genuine file", () => {
    const content = openBackup(parseBackup(genuine), keys);
    expect(content.stateVersion).toBe(7);
    expect(content.inner.items.length).toBeGreaterThan(0);
    expect(content.inner.recoveryKey).toBeNull();
  });

  it("refuse random bytes, and random bytes behind the magic, with BACKUP_INVALID only", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.boolean(), (tail, magic) => {
        const bytes = magic ? Uint8Array.of(0x56, 0x54, 0x42, 0x4b, 0x01, ...tail) : tail;
        return refusedOnly(bytes);
      }),
    );
  });

  it("refuse every truncation and every one-byte change", () => {
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean(), (at, x, cut) => {
        const pos = at % genuine.length;
        if (cut) return refusedOnly(genuine.slice(0, pos));
        const changed = genuine.slice();
        changed[pos] = (changed[pos] as number) ^ x;
        return refusedOnly(changed);
      }),
      { numRuns: 300 },
    );
  });

  it("refuse bytes appended, and another recovery key", () => {
    expect(refusedOnly(Uint8Array.of(...genuine, 0))).toBe(true);
    expect(() => openBackup(parseBackup(genuine), { ...keys, recoveryKey: sodium().randombytes_buf(32) })).toThrow(
      expect.objectContaining({ code: "BACKUP_INVALID" }),
    );
  });
});
