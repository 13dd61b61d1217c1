import { sodiumReady } from "../../../../lib/crypto";
import { MAX_BLOB_BYTES } from "../../../../lib/proxy-protocol";
import { MAX_CIPHERTEXT_BLOB_BYTES } from "../../../../vault-enclave/kms/constants";
import {
  isStateInvalid,
  MAX_STATE_BLOB_BYTES,
  parseStateBlob,
  STATE_REJECTIONS,
  StateRejected,
  type StateRejection,
  sealState,
} from "../../../../vault-enclave/state";
import { MIN_BLOB_BYTES_V1, serializeV1 } from "../../../../vault-enclave/state/format-v1";
import { fullInner, fullOuter, sealedBlobV1, T0, thrown, type VaultKeys, vaultKeys } from "./fixtures";

let keys: VaultKeys;

beforeAll(async () => {
  await sodiumReady();
  keys = vaultKeys();
});

function rejection(bytes: Uint8Array): StateRejection | "accepted" {
  try {
    parseStateBlob(bytes);
    return "accepted";
  } catch (err) {
    if (!isStateInvalid(err)) throw err;
    return err.reason;
  }
}

function withU16(blob: Uint8Array, at: number, value: number): Uint8Array {
  const copy = blob.slice();
  new DataView(copy.buffer).setUint16(at, value);
  return copy;
}

function withU32(blob: Uint8Array, at: number, value: number): Uint8Array {
  const copy = blob.slice();
  new DataView(copy.buffer).setUint32(at, value);
  return copy;
}

describe("state blob format 1: layout", () => {
  it("lays out magic, version, state version, KMS blob, outer and inner layers, and nothing else", () => {
    // Prepare
    const blob = sealedBlobV1(keys, 0x0102_0304_05);
    const view = new DataView(blob.buffer, blob.byteOffset);

    // Act
    const sealed = parseStateBlob(blob);

    // Assess
    expect(Buffer.from(blob.subarray(0, 4)).toString("latin1")).toBe("VTVS");
    expect(blob[4]).toBe(1);
    expect(view.getBigUint64(5)).toBe(0x0102_0304_05n);
    expect(view.getUint16(13)).toBe(keys.kmsCiphertextBlob.length);
    const outerAt = 15 + keys.kmsCiphertextBlob.length;
    const outerLength = view.getUint32(outerAt);
    expect((outerLength - 16) % 1024).toBe(0);
    const innerAt = outerAt + 4 + 24 + outerLength;
    const innerLength = view.getUint32(innerAt);
    expect((innerLength - 16) % 4096).toBe(0);
    expect(innerAt + 4 + 24 + innerLength).toBe(blob.length);
    expect(sealed.outer.ciphertext).toHaveLength(outerLength);
    expect(sealed.inner.ciphertext).toHaveLength(innerLength);
    expect(serializeV1(sealed)).toEqual(blob);
    expect(blob.length).toBeGreaterThanOrEqual(MIN_BLOB_BYTES_V1);
  });

  it("takes its limits from the blob channel and KMS", () => {
    // Assess
    expect(MAX_STATE_BLOB_BYTES).toBe(MAX_BLOB_BYTES);
    expect(MAX_CIPHERTEXT_BLOB_BYTES).toBe(6_144);
  });

  it("hides small changes in size: padded plaintexts", () => {
    // Prepare
    const small = fullInner();
    const larger = { ...small, items: small.items.map((i) => ({ ...i, value: new Uint8Array(i.value.length + 40) })) };

    // Act
    const a = sealedBlobV1(keys, 1, small);
    const b = sealedBlobV1(keys, 1, larger);

    // Assess
    expect(a.length).toBe(b.length);
  });

  it("refuses the wrong magic, an unknown format version, and oversized or short input before reading on", () => {
    // Prepare
    const blob = sealedBlobV1(keys);
    const magic = blob.slice();
    magic[0] = 0x58;
    const v4 = blob.slice();
    v4[4] = 5;
    const v0 = blob.slice();
    v0[4] = 0;

    // Assess
    expect(rejection(magic)).toBe(STATE_REJECTIONS.badMagic);
    expect(rejection(v4)).toBe(STATE_REJECTIONS.unsupportedVersion);
    expect(rejection(v0)).toBe(STATE_REJECTIONS.unsupportedVersion);
    expect(rejection(new Uint8Array(MAX_STATE_BLOB_BYTES + 1))).toBe(STATE_REJECTIONS.tooLarge);
    expect(rejection(blob.subarray(0, 4))).toBe(STATE_REJECTIONS.truncated);
    expect(rejection(blob.subarray(0, 10))).toBe(STATE_REJECTIONS.truncated);
  });

  it("checks every length against its bounds before taking the bytes", () => {
    // Prepare
    const blob = sealedBlobV1(keys);
    const kms = keys.kmsCiphertextBlob.length;
    const outerAt = 15 + kms;
    const zeroVersion = blob.slice();
    zeroVersion.fill(0, 5, 13);
    const hugeVersion = blob.slice();
    hugeVersion.fill(0xff, 5, 13);

    // Assess
    expect(rejection(zeroVersion)).toBe(STATE_REJECTIONS.outOfBounds);
    expect(rejection(hugeVersion)).toBe(STATE_REJECTIONS.outOfBounds);
    expect(rejection(withU16(blob, 13, 0))).toBe(STATE_REJECTIONS.outOfBounds);
    expect(rejection(withU16(blob, 13, 6_145))).toBe(STATE_REJECTIONS.outOfBounds);
    expect(rejection(withU16(blob, 13, 0xffff))).toBe(STATE_REJECTIONS.outOfBounds);
    expect(rejection(withU32(blob, outerAt, 0xffff_ffff))).toBe(STATE_REJECTIONS.outOfBounds);
    expect(rejection(withU32(blob, outerAt, 1024 + 15))).toBe(STATE_REJECTIONS.outOfBounds);
    expect(rejection(withU32(blob, outerAt, 0))).toBe(STATE_REJECTIONS.outOfBounds);
    expect(rejection(withU32(blob, outerAt, 18 * 1024 + 16))).toBe(STATE_REJECTIONS.outOfBounds);
  });

  it("refuses truncation and extension", () => {
    // Prepare
    const blob = sealedBlobV1(keys);
    const extended = new Uint8Array(blob.length + 1);
    extended.set(blob);

    // Assess
    expect(rejection(blob.subarray(0, blob.length - 1))).toBe(STATE_REJECTIONS.truncated);
    expect(rejection(extended)).toBe(STATE_REJECTIONS.trailingBytes);
  });

  it("refuses to write a state larger than the blob limit", () => {
    // Prepare: 20 items of 64 KiB each are more than 1 MiB.
    const inner = fullInner();
    const items = Array.from({ length: 20 }, (_, n) => ({
      name: `big-${n}`,
      type: "secret" as const,
      value: new Uint8Array(65_536),
      version: 1,
      createdAt: T0,
      updatedAt: T0,
    }));

    // Act
    const err = thrown(() =>
      sealState({ ...keys, outer: fullOuter(keys), inner: { ...inner, items }, previousVersion: 0 }),
    );

    // Assess
    expect(err).toBeInstanceOf(StateRejected);
    expect((err as StateRejected).code).toBe("PAYLOAD_TOO_LARGE");
  });
});
