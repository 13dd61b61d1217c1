import { sodium, sodiumReady } from "../../../../lib/crypto";
import {
  createPinRecord,
  DEFAULT_ARGON2ID,
  derivePinKey,
  pinVerifier,
  verifyPin,
} from "../../../../vault-enclave/state";
import { innerKey, outerKey } from "../../../../vault-enclave/state/keys";
import { TEST_ARGON2ID } from "./fixtures";

beforeAll(async () => {
  await sodiumReady();
});

const salt = Uint8Array.from({ length: 16 }, (_, i) => i);

describe("sealed state keys", () => {
  it("defaults every new PIN to Argon2id v1.3 at 64 MiB and 3 passes", () => {
    // Prepare: stand in for the 0.4 s derivation, and record what it was asked for.
    const s = sodium();
    const pwhash = jest.spyOn(s, "crypto_pwhash").mockReturnValue(new Uint8Array(32) as never);

    // Act
    const { record } = createPinRecord("493817");

    // Assess
    expect(DEFAULT_ARGON2ID).toEqual({ opsLimit: 3, memLimitBytes: 67_108_864 });
    expect(Object.isFrozen(DEFAULT_ARGON2ID)).toBe(true);
    expect(record.kdf).toEqual(DEFAULT_ARGON2ID);
    expect(record.salt).toHaveLength(16);
    expect(pwhash).toHaveBeenCalledWith(32, expect.any(Uint8Array), record.salt, 3, 67_108_864, 2);
    expect(s.crypto_pwhash_ALG_ARGON2ID13).toBe(2);
    pwhash.mockRestore();
  });

  it("derives the same PIN key from the same PIN and salt, and another from another salt", () => {
    // Act
    const a = derivePinKey("493817", salt, TEST_ARGON2ID);
    const b = derivePinKey("493817", salt, TEST_ARGON2ID);
    const c = derivePinKey(
      "493817",
      salt.map((x) => x ^ 1),
      TEST_ARGON2ID,
    );

    // Assess
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it("normalises a PIN typed as text to NFC first", () => {
    // Act
    const composed = derivePinKey("pässwort", salt, TEST_ARGON2ID);
    const decomposed = derivePinKey("pa\u0308sswort", salt, TEST_ARGON2ID);

    // Assess
    expect(decomposed).toEqual(composed);
  });

  it("verifies the right PIN key only, and the verifier is not the key", () => {
    // Prepare
    const { record, pinKey } = createPinRecord("493817", TEST_ARGON2ID);
    const wrong = derivePinKey("493818", record.salt, record.kdf);

    // Assess
    expect(verifyPin(record, pinKey)).toBe(true);
    expect(verifyPin(record, wrong)).toBe(false);
    expect(record.verifier).toEqual(pinVerifier(pinKey));
    expect(record.verifier).not.toEqual(pinKey);
  });

  it("separates the outer and inner keys by purpose, input and vault", () => {
    // Prepare
    const root = sodium().randombytes_buf(32);
    const pinKey = sodium().randombytes_buf(32);

    // Act
    const keys = [
      outerKey(root, "vault-a"),
      outerKey(root, "vault-b"),
      innerKey(root, pinKey, "vault-a"),
      innerKey(root, pinKey, "vault-b"),
      innerKey(pinKey, root, "vault-a"),
      pinVerifier(pinKey),
      root,
      pinKey,
    ].map((k) => Buffer.from(k).toString("hex"));

    // Assess
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("refuses empty or overlong PINs, wrong salts and parameters out of bounds", () => {
    // Assess
    expect(() => derivePinKey("", salt, TEST_ARGON2ID)).toThrow(RangeError);
    expect(() => derivePinKey("x".repeat(1025), salt, TEST_ARGON2ID)).toThrow(RangeError);
    expect(() => derivePinKey("1234", salt.subarray(0, 15), TEST_ARGON2ID)).toThrow(RangeError);
    expect(() => derivePinKey("1234", salt, { opsLimit: 0, memLimitBytes: 8192 })).toThrow(RangeError);
    expect(() => derivePinKey("1234", salt, { opsLimit: 17, memLimitBytes: 8192 })).toThrow(RangeError);
    expect(() => derivePinKey("1234", salt, { opsLimit: 1, memLimitBytes: 8193 })).toThrow(RangeError);
    expect(() => derivePinKey("1234", salt, { opsLimit: 1, memLimitBytes: 512 * 1024 * 1024 })).toThrow(RangeError);
    expect(() => outerKey(new Uint8Array(31), "vault-a")).toThrow(RangeError);
  });
});
