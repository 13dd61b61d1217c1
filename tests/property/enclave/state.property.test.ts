import fc from "fast-check";
import { sodiumReady } from "../../../lib/crypto";
import {
  type InnerState,
  ITEM_TYPES,
  isStateInvalid,
  openInner,
  openOuter,
  parseStateBlob,
  type VaultItem,
} from "../../../vault-enclave/state";
import { serializeV1 } from "../../../vault-enclave/state/format-v1";
import { fullOuter, sealedBlob, T0, type VaultKeys, vaultKeys } from "../../unit/enclave/state/fixtures";

const RUNS = 2_000;

let keys: VaultKeys;
let blob: Uint8Array;

beforeAll(async () => {
  await sodiumReady();
  keys = vaultKeys();
  blob = sealedBlob(keys, 12);
});

/** True when opening `bytes` failed with the typed state error; anything else thrown fails the test. */
function refused(bytes: Uint8Array): boolean {
  try {
    openOuter(parseStateBlob(bytes), keys);
    return false;
  } catch (err) {
    if (!isStateInvalid(err)) throw err;
    expect(err.code).toBe("STATE_INVALID");
    return true;
  }
}

/** Any change to a blob: flip a bit, change a byte, insert or delete bytes, truncate, extend. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.nat({ max: 7 }) }),
  fc.record({ kind: fc.constant("xor" as const), at: fc.nat(), value: fc.integer({ min: 1, max: 255 }) }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }),
  }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), count: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("extend" as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
);

function mutate(bytes: Uint8Array, m: MutationValue): Uint8Array {
  const out = Buffer.from(bytes);
  switch (m.kind) {
    case "flip": {
      const at = m.at % out.length;
      out[at] = (out[at] as number) ^ (1 << m.bit);
      return out;
    }
    case "xor": {
      const at = m.at % out.length;
      out[at] = (out[at] as number) ^ m.value;
      return out;
    }
    case "insert": {
      const at = m.at % (out.length + 1);
      return Buffer.concat([out.subarray(0, at), m.bytes, out.subarray(at)]);
    }
    case "delete": {
      const at = m.at % out.length;
      return Buffer.concat([out.subarray(0, at), out.subarray(at + m.count)]);
    }
    case "truncate":
      return out.subarray(0, m.at % out.length);
    case "extend":
      return Buffer.concat([out, m.bytes]);
  }
}

type MutationValue = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

const itemArb: fc.Arbitrary<VaultItem> = fc
  .record({
    name: fc.string({ minLength: 1, maxLength: 40, unit: "grapheme" }),
    type: fc.constantFrom(...ITEM_TYPES),
    value: fc.uint8Array({ maxLength: 300 }),
    version: fc.integer({ min: 1, max: 2 ** 40 }),
    createdAt: fc.integer({ min: 0, max: 2 ** 45 }),
    age: fc.integer({ min: 0, max: 2 ** 32 + 5 }),
  })
  .map(({ age, ...item }) => ({ ...item, updatedAt: item.createdAt + age }));

const innerArb: fc.Arbitrary<InnerState> = fc.record({
  items: fc.uniqueArray(itemArb, { maxLength: 12, selector: (i) => i.name }),
  identitySecretKey: fc.uint8Array({ minLength: 64, maxLength: 64 }),
  recoveryKey: fc.option(fc.uint8Array({ minLength: 32, maxLength: 32 }), { nil: null }),
});

describe("sealed vault state (property)", () => {
  it("refuses every byte flip, at any position, with the typed error", () => {
    fc.assert(
      fc.property(fc.nat({ max: 1_000_000 }), fc.integer({ min: 1, max: 255 }), (position, mask) => {
        // Prepare
        const at = position % blob.length;
        const flipped = blob.slice();
        flipped[at] = (flipped[at] as number) ^ mask;

        // Act + Assess
        expect(refused(flipped)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it("refuses every flip of one byte in each field of the layout (header, KMS blob, both layers)", () => {
    // Prepare: the first and last byte of every field, and a byte in the middle of each.
    const kms = keys.kmsCiphertextBlob.length;
    const view = new DataView(blob.buffer, blob.byteOffset);
    const outerAt = 15 + kms;
    const innerAt = outerAt + 4 + 24 + view.getUint32(outerAt);
    const fields: [number, number][] = [
      [0, 4],
      [4, 5],
      [5, 13],
      [13, 15],
      [15, outerAt],
      [outerAt, outerAt + 4],
      [outerAt + 4, outerAt + 28],
      [outerAt + 28, innerAt],
      [innerAt, innerAt + 4],
      [innerAt + 4, innerAt + 28],
      [innerAt + 28, blob.length],
    ];
    const positions = fields.flatMap(([start, end]) => [start, Math.floor((start + end) / 2), end - 1]);

    // Act
    const accepted = positions.filter((at) => {
      const flipped = blob.slice();
      flipped[at] = (flipped[at] as number) ^ 0x01;
      return !refused(flipped);
    });

    // Assess
    expect(accepted).toEqual([]);
  });

  it("refuses any insertion, deletion, truncation or extension", () => {
    fc.assert(
      fc.property(mutation, (m) => {
        // Act + Assess
        expect(refused(mutate(blob, m))).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it("throws nothing but the typed error for random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 8_192 }), (bytes) => {
        expect(refused(bytes)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it("throws nothing but the typed error for random bytes behind a valid magic and version", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 8_192 }), (tail) => {
        const bytes = Buffer.concat([Buffer.from("VTVS"), Buffer.of(1), tail]);
        expect(refused(bytes)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it("throws nothing but the typed error for well-formed layouts of random layers", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 50 }),
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 2 }),
        fc.nat(),
        (stateVersion, kms, outerBlocks, innerBlocks, seed) => {
          // Prepare: lengths the parser accepts, contents nobody sealed.
          const filler = (n: number) => Uint8Array.from({ length: n }, (_, i) => (seed + i * 31) & 0xff);
          const layer = (n: number) => ({ nonce: filler(24), ciphertext: filler(n) });
          const bytes = serializeV1({
            formatVersion: 1,
            stateVersion,
            kmsCiphertextBlob: kms,
            outer: layer(outerBlocks * 1024 + 16),
            inner: layer(innerBlocks * 4096 + 16),
          });

          // Act + Assess
          expect(parseStateBlob(bytes).stateVersion).toBe(stateVersion);
          expect(refused(bytes)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("reads back any valid state it sealed", () => {
    fc.assert(
      fc.property(innerArb, fc.integer({ min: 1, max: 2 ** 52 }), (inner, version) => {
        // Prepare
        const outer = { ...fullOuter(keys, version), attempts: { failures: 2, lockedUntil: null, lastFailureAt: T0 } };

        // Act
        const sealed = parseStateBlob(sealedBlob(keys, version, inner, outer));
        const openedOuter = openOuter(sealed, keys);
        const openedInner = openInner(sealed, openedOuter, keys);

        // Assess
        expect(openedOuter).toEqual({ ...outer, inner: expect.objectContaining({ version }) });
        expect(openedInner).toEqual(inner);
      }),
      { numRuns: 200 },
    );
  });
});
