import { sodium, sodiumReady } from "../../../../lib/crypto";
import {
  assertNotOlder,
  beginPinAttempt,
  CURRENT_FORMAT,
  derivePinKey,
  isStateInvalid,
  openInner,
  openOuter,
  PinIncorrect,
  parseStateBlob,
  resealOuter,
  resealOuterParts,
  STATE_REJECTIONS,
  type StateInvalid,
  StateRolledBack,
  StateWriteRefused,
  sealState,
  sealStateParts,
  stateBlobKey,
  wipe,
} from "../../../../vault-enclave/state";
import { formatV1, innerAssociatedData, serializeV1 } from "../../../../vault-enclave/state/format-v1";
import { innerKey, outerKey } from "../../../../vault-enclave/state/keys";
import { openLayer } from "../../../../vault-enclave/state/layer";
import {
  fullInner,
  fullOuter,
  PIN,
  sealedBlob,
  T0,
  thrown,
  VAULT_A,
  VAULT_B,
  type VaultKeys,
  vaultKeys,
} from "./fixtures";

let keys: VaultKeys;

beforeAll(async () => {
  await sodiumReady();
  keys = vaultKeys(VAULT_A);
});

describe("sealed vault state: round trip", () => {
  it("opens a full state (every item type, devices, identity key) with the right root key and PIN", () => {
    // Prepare
    const inner = fullInner();
    const outer = fullOuter(keys, 7);

    // Act
    const blob = sealState({ ...keys, outer, inner, previousVersion: 6 });
    const sealed = parseStateBlob(blob);
    const opened = openOuter(sealed, keys);
    const pinKey = derivePinKey(PIN, opened.pin.salt, opened.pin.kdf);
    const openedInner = openInner(sealed, opened, { ...keys, pinKey });

    // Assess
    expect(sealed.formatVersion).toBe(CURRENT_FORMAT.version);
    expect(sealed.stateVersion).toBe(7);
    expect(sealed.kmsCiphertextBlob).toEqual(keys.kmsCiphertextBlob);
    expect(opened).toEqual({ ...outer, inner: { format: 1, version: 7, digest: expect.any(Uint8Array) } });
    expect(openedInner).toEqual(inner);
    expect(openedInner.items.map((i) => i.type).sort()).toEqual(["login", "note", "profile", "secret"]);
  });

  it("never carries a plaintext value, the identity key or the root key in the blob", () => {
    // Prepare
    const inner = fullInner();

    // Act
    const blob = Buffer.from(sealedBlob(keys, 1, inner));

    // Assess
    expect(blob.includes(Buffer.from("tok_CANARY_7f3a9c"))).toBe(false);
    expect(blob.includes(Buffer.from("github"))).toBe(false);
    expect(blob.includes(Buffer.from(inner.identitySecretKey.subarray(0, 16)))).toBe(false);
    expect(blob.includes(Buffer.from(keys.rootKey.subarray(0, 16)))).toBe(false);
    expect(blob.includes(Buffer.from("Anna"))).toBe(false);
  });

  it("rewrites the outer layer alone and keeps the inner layer byte for byte", () => {
    // Prepare
    const sealed = parseStateBlob(sealedBlob(keys, 4));
    const outer = openOuter(sealed, keys);
    const next = { ...outer, stateVersion: 5, devices: outer.devices.slice(0, 1) };

    // Act
    const rewritten = parseStateBlob(resealOuter(sealed, next, keys));
    const reopened = openOuter(rewritten, keys);
    const inner = openInner(rewritten, reopened, keys);

    // Assess
    expect(rewritten.stateVersion).toBe(5);
    expect(rewritten.inner).toEqual(sealed.inner);
    expect(reopened.devices).toHaveLength(1);
    expect(reopened.inner.version).toBe(4);
    expect(inner.items).toHaveLength(4);
  });

  it("hands the writer what opening its blob gives back, for both layers and for an outer rewrite", () => {
    // Prepare
    const outer = fullOuter(keys, 3);

    // Act
    const written = sealStateParts({ ...keys, outer, inner: fullInner(), previousVersion: 2 });
    const next = { ...written.outer, stateVersion: 4, devices: written.outer.devices.slice(0, 1) };
    const rewritten = resealOuterParts(written.sealed, next, keys);

    // Assess
    for (const w of [written, rewritten]) {
      expect(w.sealed).toEqual(parseStateBlob(w.bytes));
      expect(w.outer).toEqual(openOuter(w.bytes, keys));
    }
    expect(rewritten.outer.stateVersion).toBe(4);
    expect(rewritten.sealed.inner).toEqual(written.sealed.inner);
  });

  it("names the blob store key of a vault's state", () => {
    // Assess
    expect(stateBlobKey(VAULT_A)).toBe("vaults/vault-a/state");
  });

  it("wipes keys and decoded secrets", () => {
    // Prepare
    const sealed = parseStateBlob(sealedBlob(keys));
    const outer = openOuter(sealed, keys);
    const inner = openInner(sealed, outer, keys);
    const copy = keys.rootKey.slice();

    // Act
    wipe(inner, outer, copy);

    // Assess
    expect(inner.identitySecretKey.every((b) => b === 0)).toBe(true);
    expect(inner.items.every((i) => i.value.every((b) => b === 0))).toBe(true);
    expect(outer.pin.verifier.every((b) => b === 0)).toBe(true);
    expect(copy.every((b) => b === 0)).toBe(true);
  });
});

describe("sealed vault state: keys", () => {
  it("refuses a wrong PIN by its verifier, without opening the inner layer", () => {
    // Prepare
    const sealed = parseStateBlob(sealedBlob(keys));
    const outer = openOuter(sealed, keys);
    const wrongKey = derivePinKey("000000", outer.pin.salt, outer.pin.kdf);
    const decrypt = jest.spyOn(sodium(), "crypto_aead_xchacha20poly1305_ietf_decrypt");

    // Act
    const err = thrown(() => openInner(sealed, outer, { ...keys, pinKey: wrongKey }));

    // Assess
    expect(err).toBeInstanceOf(PinIncorrect);
    expect((err as PinIncorrect).code).toBe("PIN_INCORRECT");
    expect(decrypt).not.toHaveBeenCalled();
    openInner(sealed, outer, keys);
    expect(decrypt).toHaveBeenCalledTimes(1); // the spy sees a real opening
    decrypt.mockRestore();
  });

  it("refuses a wrong root key with a typed error", () => {
    // Prepare
    const blob = sealedBlob(keys);

    // Act
    const err = thrown(() => openOuter(blob, { vaultId: VAULT_A, rootKey: sodium().randombytes_buf(32) }));

    // Assess
    expect(isStateInvalid(err, STATE_REJECTIONS.authFailed)).toBe(true);
    expect((err as StateInvalid).code).toBe("STATE_INVALID");
  });

  it("cannot open the inner layer with the PIN key alone or the root key alone", () => {
    // Prepare
    const sealed = parseStateBlob(sealedBlob(keys, 3));
    const other = vaultKeys(VAULT_A);
    const ad = innerAssociatedData(VAULT_A, 3);
    const attempt = (key: Uint8Array) => () => openLayer(sealed.inner, 4096, ad, key, (p) => p.slice());
    const candidates = {
      pinKeyAlone: keys.pinKey,
      rootKeyAlone: keys.rootKey,
      outerKey: outerKey(keys.rootKey, VAULT_A),
      rootWithAnotherPin: innerKey(keys.rootKey, other.pinKey, VAULT_A),
      pinWithAnotherRoot: innerKey(other.rootKey, keys.pinKey, VAULT_A),
      bothForAnotherVault: innerKey(keys.rootKey, keys.pinKey, VAULT_B),
    };

    // Act
    const results = Object.entries(candidates).map(([name, key]) => [name, isStateInvalid(thrown(attempt(key)))]);
    const right = openLayer(sealed.inner, 4096, ad, innerKey(keys.rootKey, keys.pinKey, VAULT_A), (p) => p.length);

    // Assess
    expect(Object.fromEntries(results)).toEqual(Object.fromEntries(Object.keys(candidates).map((n) => [n, true])));
    expect(right).toBeGreaterThan(0);
  });

  it("refuses to seal with a PIN key that does not match the PIN record", () => {
    // Prepare
    const other = vaultKeys(VAULT_A, "111111");

    // Act
    const err = thrown(() =>
      sealState({ ...keys, pinKey: other.pinKey, outer: fullOuter(keys), inner: fullInner(), previousVersion: 0 }),
    );

    // Assess
    expect(err).toBeInstanceOf(StateWriteRefused);
  });
});

describe("sealed vault state: binding", () => {
  it("refuses vault A's blob opened as vault B, even with B's slot and A's root key", () => {
    // Prepare
    const blob = sealedBlob(keys);

    // Act
    const err = thrown(() => openOuter(blob, { vaultId: VAULT_B, rootKey: keys.rootKey }));

    // Assess
    expect(isStateInvalid(err, STATE_REJECTIONS.authFailed)).toBe(true);
  });

  it("refuses an outer layer of version 5 spliced with the inner layer of version 3, both genuine", () => {
    // Prepare: version 3, then a change of items at version 5.
    const v3 = parseStateBlob(sealedBlob(keys, 3));
    const v5 = parseStateBlob(sealedBlob(keys, 5, { ...fullInner(), items: [] }));
    const spliced = { ...v5, inner: v3.inner };
    const reversed = { ...v3, inner: v5.inner };
    const outer5 = openOuter(v5, keys);

    // Act
    const outerErr = thrown(() => openOuter(spliced, keys));
    const reversedErr = thrown(() => openOuter(reversed, keys));
    const innerErr = thrown(() => openInner(spliced, outer5, keys));
    const bytesErr = thrown(() => openOuter(serializeV1(spliced), keys));

    // Assess
    expect(isStateInvalid(outerErr, STATE_REJECTIONS.authFailed)).toBe(true);
    expect(isStateInvalid(reversedErr, STATE_REJECTIONS.authFailed)).toBe(true);
    expect(isStateInvalid(innerErr, STATE_REJECTIONS.innerMismatch)).toBe(true);
    expect(isStateInvalid(bytesErr)).toBe(true);
  });

  it("refuses an inner layer opened at another version than it was sealed at", () => {
    // Prepare
    const sealed = parseStateBlob(sealedBlob(keys, 3));
    const key = innerKey(keys.rootKey, keys.pinKey, VAULT_A);

    // Act
    const err = thrown(() => formatV1.openInner(sealed.inner, 4, VAULT_A, key));

    // Assess
    expect(isStateInvalid(err, STATE_REJECTIONS.authFailed)).toBe(true);
  });

  it("refuses a swapped KMS blob", () => {
    // Prepare
    const sealed = parseStateBlob(sealedBlob(keys));
    const swapped = { ...sealed, kmsCiphertextBlob: vaultKeys(VAULT_A).kmsCiphertextBlob };

    // Act
    const err = thrown(() => openOuter(swapped, keys));

    // Assess
    expect(isStateInvalid(err, STATE_REJECTIONS.authFailed)).toBe(true);
  });

  it("lets assertNotOlder refuse a genuine blob older than the version the caller saw", () => {
    // Prepare: the caller has seen version 8; the host serves version 6, whole and authentic.
    const old = sealedBlob(keys, 6);
    const seen = 8;

    // Act
    const outer = openOuter(old, keys);
    const err = thrown(() => assertNotOlder(seen, outer.stateVersion));

    // Assess
    expect(outer.stateVersion).toBe(6);
    expect(err).toBeInstanceOf(StateRolledBack);
    expect(err).toMatchObject({ code: "STALE_STATE", seen: 8, got: 6 });
    expect(() => assertNotOlder(8, 8)).not.toThrow();
    expect(() => assertNotOlder(8, 9)).not.toThrow();
  });

  it("refuses to write a version that does not increase", () => {
    // Prepare
    const sealed = parseStateBlob(sealedBlob(keys, 4));
    const outer = openOuter(sealed, keys);

    // Act
    const same = thrown(() => resealOuter(sealed, outer, keys));
    const older = thrown(() =>
      sealState({ ...keys, outer: fullOuter(keys, 4), inner: fullInner(), previousVersion: 4 }),
    );

    // Assess
    expect(same).toBeInstanceOf(StateWriteRefused);
    expect(older).toBeInstanceOf(StateWriteRefused);
  });

  it("refuses to rewrite the outer layer over another blob's inner layer", () => {
    // Prepare
    const v3 = parseStateBlob(sealedBlob(keys, 3));
    const v5 = parseStateBlob(sealedBlob(keys, 5));
    const outer5 = openOuter(v5, keys);

    // Act
    const err = thrown(() => resealOuter(v3, { ...outer5, stateVersion: 6 }, keys));

    // Assess
    expect(err).toBeInstanceOf(StateWriteRefused);
  });

  it("counts a PIN attempt in a rewritten outer layer that still opens with the PIN", () => {
    // Prepare
    const sealed = parseStateBlob(sealedBlob(keys, 2));
    const outer = openOuter(sealed, keys);

    // Act
    const pending = beginPinAttempt(outer, T0);
    const written = parseStateBlob(resealOuter(sealed, pending, keys));
    const reopened = openOuter(written, keys);
    const inner = openInner(written, reopened, keys);

    // Assess
    expect(reopened.stateVersion).toBe(3);
    expect(reopened.attempts.failures).toBe(1);
    expect(inner.items).toHaveLength(4);
  });
});
