import { sodium, sodiumReady } from "../../../../lib/crypto";
import {
  isStateInvalid,
  MAX_PENDING_DEVICES,
  openOuter,
  parseStateBlob,
  StateRejected,
  sealState,
} from "../../../../vault-enclave/state";
import { fullInner, fullOuter, T0, thrown, VAULT_A, type VaultKeys, vaultKeys } from "./fixtures";

let keys: VaultKeys;

beforeAll(async () => {
  await sodiumReady();
  keys = vaultKeys(VAULT_A);
});

const pending = (deviceId: string) => ({
  deviceId,
  signingPublicKey: sodium().crypto_sign_keypair().publicKey,
  x25519PublicKey: sodium().crypto_box_keypair().publicKey,
  addedAt: T0 + 5_000,
  label: "Anna's tablet",
  sas: "042917",
});

describe("sealed vault state: devices waiting for approval (format 2)", () => {
  it("keeps pending devices, last use and pairing codes across a seal and an open", () => {
    // Prepare
    const base = fullOuter(keys, 3);
    const outer = {
      ...base,
      devices: base.devices.map((d, i) => ({ ...d, lastUsedAt: T0 + i, sas: i === 1 ? "123456" : null })),
      pending: [pending("dev-tablet")],
    };

    // Act
    const opened = openOuter(
      parseStateBlob(sealState({ ...keys, outer, inner: fullInner(), previousVersion: 2 })),
      keys,
    );

    // Assess
    expect(opened.pending).toEqual(outer.pending);
    expect(opened.devices).toEqual(outer.devices);
  });

  it("refuses to seal a device that is both pending and authorized, too many pending, or a malformed code", () => {
    // Prepare
    const base = fullOuter(keys, 3);
    const seal = (outer: typeof base) =>
      thrown(() => sealState({ ...keys, outer, inner: fullInner(), previousVersion: 2 }));
    const twice = { ...pending("dev-phone") };
    const many = Array.from({ length: MAX_PENDING_DEVICES + 1 }, (_, i) => pending(`dev-${i}`));

    // Act, Assess
    for (const outer of [
      { ...base, pending: [twice] },
      { ...base, pending: many },
      { ...base, pending: [{ ...pending("dev-x"), sas: "12345" }] },
    ]) {
      const err = seal(outer);
      expect(err).toBeInstanceOf(StateRejected);
      expect(isStateInvalid(err)).toBe(false);
    }
  });
});
