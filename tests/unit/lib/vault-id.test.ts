import { createHash } from "node:crypto";
import fc from "fast-check";
import { isVaultIdFor, VAULT_SALT_BYTES, vaultIdFor } from "../../../lib/vault-id";

const key = (byte: number) => new Uint8Array(32).fill(byte);

describe("vault ids commit to the founding device's keys", () => {
  it("is vlt_ and the first 16 bytes of SHA-256 over the label, the keys and the salt", () => {
    // Prepare
    const keys = { signingKey: key(1), exchangeKey: key(2) };
    const salt = new Uint8Array(VAULT_SALT_BYTES).fill(3);
    const expected = createHash("sha256")
      .update("VETTID-VAULT-ID-1")
      .update(Uint8Array.of(0))
      .update(keys.signingKey)
      .update(keys.exchangeKey)
      .update(salt)
      .digest()
      .subarray(0, 16)
      .toString("hex");
    // Act
    const id = vaultIdFor(keys, salt);
    // Assess
    expect(id).toBe(`vlt_${expected}`);
    expect(isVaultIdFor(id, keys, salt)).toBe(true);
  });

  it("refuses any other key, salt or id", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.integer({ min: 0, max: 79 }),
        (signingKey, exchangeKey, salt, flip) => {
          const id = vaultIdFor({ signingKey, exchangeKey }, salt);
          const all = new Uint8Array([...signingKey, ...exchangeKey, ...salt]);
          all[flip] = (all[flip] as number) ^ 0x01;
          const other = { signingKey: all.subarray(0, 32), exchangeKey: all.subarray(32, 64) };
          return !isVaultIdFor(id, other, all.subarray(64)) && isVaultIdFor(id, { signingKey, exchangeKey }, salt);
        },
      ),
    );
    expect(isVaultIdFor("vlt_nothex", { signingKey: key(1), exchangeKey: key(2) }, new Uint8Array(16))).toBe(false);
    expect(isVaultIdFor("vlt_00", { signingKey: key(1), exchangeKey: key(2) }, new Uint8Array(15))).toBe(false);
  });
});
