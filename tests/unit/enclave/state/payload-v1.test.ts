import { Encoder } from "cbor-x";
import { sodiumReady } from "../../../../lib/crypto";
import {
  isStateInvalid,
  openInner,
  openOuter,
  parseStateBlob,
  type SealedState,
  STATE_REJECTIONS,
  StateRejected,
  sealState,
} from "../../../../vault-enclave/state";
import { decodePayload, encodePayload } from "../../../../vault-enclave/state/cbor";
import { outerAssociatedData, serializeV1 } from "../../../../vault-enclave/state/format-v1";
import { outerKey } from "../../../../vault-enclave/state/keys";
import { sealLayer } from "../../../../vault-enclave/state/layer";
import { fullInner, fullOuter, sealedBlob, sealedBlobV1, T0, thrown, type VaultKeys, vaultKeys } from "./fixtures";

let keys: VaultKeys;

beforeAll(async () => {
  await sodiumReady();
  keys = vaultKeys();
});

/** The path a refused write names, or "accepted". */
function refusedPath(
  change: (input: { outer: ReturnType<typeof fullOuter>; inner: ReturnType<typeof fullInner> }) => void,
) {
  const input = { outer: fullOuter(keys), inner: fullInner() };
  change(input);
  try {
    sealState({ ...keys, ...input, previousVersion: 0 });
    return "accepted";
  } catch (err) {
    expect(err).toBeInstanceOf(StateRejected);
    expect((err as StateRejected).code).toBe("VALIDATION_FAILED");
    return (err as StateRejected).details?.path;
  }
}

/** `genuine` with its outer layer resealed (right key, right associated data) over `payload`. */
function blobWithOuterPayload(genuine: SealedState, payload: Uint8Array): Uint8Array {
  const ad = outerAssociatedData(keys.vaultId, 1, genuine.kmsCiphertextBlob, genuine.inner);
  const outer = sealLayer(payload, 1024, ad, outerKey(keys.rootKey, keys.vaultId));
  return serializeV1({ ...genuine, outer });
}

describe("state payloads, format 1", () => {
  it("encodes deterministically: same state, same bytes, whatever the key order", () => {
    // Prepare
    const a = { zeta: 1, a: 2, mid: [1, { y: 1, x: 2 }], big: 2 ** 40 };
    const b = { big: 2 ** 40, mid: [1, { x: 2, y: 1 }], a: 2, zeta: 1 };

    // Act
    const bytesA = encodePayload(a);
    const bytesB = encodePayload(b);
    const again = encodePayload(decodePayload(bytesA) as typeof a);

    // Assess
    expect(Buffer.from(bytesA).equals(Buffer.from(bytesB))).toBe(true);
    expect(Buffer.from(again).equals(Buffer.from(bytesA))).toBe(true);
    // Keys shortest first, then bytewise; 2^40 as an 8-byte unsigned integer, never a float.
    expect(Buffer.from(bytesA).toString("hex")).toBe(
      "a4616102636269671b0000010000000000636d69648201a2617802617901647a65746101",
    );
  });

  it("refuses floats and negative numbers on the way in", () => {
    // Assess
    expect(() => encodePayload({ x: 1.5 })).toThrow(TypeError);
    expect(() => encodePayload({ x: -1 })).toThrow(TypeError);
  });

  it("refuses, before sealing, a state that breaks a limit, naming the field", () => {
    // Assess
    expect(refusedPath(() => {})).toBe("accepted");
    expect(refusedPath(({ inner }) => inner.items.push({ ...inner.items[0]! }))).toBe("inner.items");
    expect(refusedPath(({ inner }) => Object.assign(inner.items[0] as object, { name: "bad\ud800" }))).toBe(
      "inner.items.0.name",
    );
    expect(refusedPath(({ inner }) => Object.assign(inner.items[1] as object, { value: new Uint8Array(65_537) }))).toBe(
      "inner.items.1.value",
    );
    expect(refusedPath(({ inner }) => Object.assign(inner.items[1] as object, { type: "password" }))).toBe(
      "inner.items.1.type",
    );
    expect(refusedPath(({ inner }) => Object.assign(inner.items[1] as object, { updatedAt: T0 - 1 }))).toBe(
      "inner.items.1",
    );
    expect(refusedPath(({ inner }) => Object.assign(inner, { identitySecretKey: new Uint8Array(32) }))).toBe(
      "inner.identitySecretKey",
    );
    expect(refusedPath(({ outer }) => outer.devices.push({ ...outer.devices[0]! }))).toBe("outer.devices");
    expect(
      refusedPath(({ outer }) => Object.assign(outer.devices[0] as object, { signingPublicKey: new Uint8Array(33) })),
    ).toBe("outer.devices.0.signingPublicKey");
    expect(refusedPath(({ outer }) => Object.assign(outer.devices[0] as object, { deviceId: "dev/../x" }))).toBe(
      "outer.devices.0.deviceId",
    );
    expect(refusedPath(({ outer }) => Object.assign(outer.attempts, { failures: 1.5 }))).toBe(
      "outer.attempts.failures",
    );
  });

  it("refuses an authenticated outer payload of the wrong shape with a typed error, never a crash", () => {
    // Prepare: genuinely sealed payloads a faulty release could have written.
    const encoder = new Encoder({ useRecords: false, tagUint8Array: false, pack: false, variableMapSize: true });
    const genuine = parseStateBlob(sealedBlobV1(keys));
    const good = openOuter(genuine, keys);
    const payloads = {
      notCbor: Uint8Array.of(0xff, 0x00),
      tagged: Uint8Array.of(0xc1, 0x00),
      duplicateKeys: Uint8Array.of(0xa2, 0x61, 0x61, 0x01, 0x61, 0x61, 0x02),
      notAMap: encoder.encode([1, 2, 3]),
      empty: encoder.encode(new Map()),
      extraKey: encodePayload({ ...good, extra: 1 } as never),
      protoKey: encoder.encode(new Map([["__proto__", { polluted: true }]])),
    };

    // Act
    const reasons = Object.fromEntries(
      Object.entries(payloads).map(([name, payload]) => {
        const err = thrown(() => openOuter(blobWithOuterPayload(genuine, payload), keys));
        return [name, isStateInvalid(err, STATE_REJECTIONS.payloadInvalid)];
      }),
    );

    // Assess
    expect(reasons).toEqual(Object.fromEntries(Object.keys(payloads).map((n) => [n, true])));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("refuses an authenticated outer payload that names another vault or version", () => {
    // Prepare
    const genuine = parseStateBlob(sealedBlobV1(keys));
    const opened = openOuter(genuine, keys);
    // A format 1 payload: what openOuter gives without the fields formats 2 to 4 add.
    const { audit: _audit, pending: _pending, recovery: _recovery, changes: _changes, ...rest } = opened;
    const good = { ...rest, devices: rest.devices.map(({ lastUsedAt: _u, sas: _s, ...d }) => d) };
    const asPayload = (o: typeof good) => encodePayload(o as never);

    // Act
    const otherVault = thrown(() =>
      openOuter(blobWithOuterPayload(genuine, asPayload({ ...good, vaultId: "vault-z" })), keys),
    );
    const otherVersion = thrown(() =>
      openOuter(blobWithOuterPayload(genuine, asPayload({ ...good, stateVersion: 2 })), keys),
    );
    const sameAgain = openOuter(blobWithOuterPayload(genuine, asPayload(good)), keys);

    // Assess
    expect(isStateInvalid(otherVault, STATE_REJECTIONS.payloadInvalid)).toBe(true);
    expect(isStateInvalid(otherVersion, STATE_REJECTIONS.payloadInvalid)).toBe(true);
    expect(sameAgain).toEqual(opened);
  });

  it("reads back every item field exactly, empty values included", () => {
    // Prepare
    const inner = fullInner();
    inner.items.push({ name: "empty", type: "note", value: new Uint8Array(0), version: 1, createdAt: 0, updatedAt: 0 });
    const sealed = parseStateBlob(sealedBlob(keys, 1, { ...inner, recoveryKey: null }));

    // Act
    const opened = openInner(sealed, openOuter(sealed, keys), keys);

    // Assess
    expect(opened).toEqual({ ...inner, recoveryKey: null });
  });
});
