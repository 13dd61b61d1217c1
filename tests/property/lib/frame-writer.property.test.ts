import { Encoder } from "cbor-x";
import fc from "fast-check";
import { CHANNELS, encodeFrame, type FrameValue } from "../../../lib/frames";

const RUNS = 3_000;

/** The general encoder with the codec's options: the reference for every frame's bytes. */
const reference = new Encoder({ useRecords: false, tagUint8Array: false, pack: false, variableMapSize: true });

function referenceFrame(channel: string, id: number, type: string, body: unknown): Buffer {
  const encoded = reference.encode([1, channel, id, type, body]);
  const out = Buffer.alloc(4 + encoded.length);
  out.writeUInt32BE(encoded.length, 0);
  out.set(encoded, 4);
  return out;
}

/**
 * Bodies inside and outside the direct writer's subset: integers at every head-size
 * boundary and beyond 32 bits, floats, -0, strings with lone and paired surrogates,
 * short and long (native UTF-8) strings, bytes as Uint8Array and Buffer, arrays
 * with holes or `undefined`, objects with awkward keys.
 */
const boundaryInt = fc.constantFrom(
  0,
  -0,
  23,
  24,
  255,
  256,
  65_535,
  65_536,
  0xffff_ffff,
  0x1_0000_0000,
  -1,
  -24,
  -25,
  -256,
  -257,
  -65_536,
  -65_537,
  -0x8000_0000,
  -0x8000_0001,
  -0x1_0000_0000,
  -0x1_0000_0001,
  Number.MAX_SAFE_INTEGER,
);
const text = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "binary", minLength: 60, maxLength: 300 }),
  fc.string({ unit: "grapheme-ascii", minLength: 20, maxLength: 300 }),
);
const anyValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.constant(undefined),
    fc.boolean(),
    boundaryInt,
    fc.integer(),
    fc.double(),
    text,
    fc.uint8Array({ maxLength: 300 }),
    fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
    fc.array(tie("value"), { maxLength: 30 }),
    fc.sparseArray(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.oneof(text, fc.constantFrom("__proto__", "constructor", "toString")), tie("value"), {
      maxKeys: 30,
    }),
  ),
})).value;

const header = fc.record({
  channel: fc.constantFrom(...CHANNELS),
  id: fc.oneof(
    boundaryInt.filter((n) => n >= 0 && n <= 0xffff_ffff),
    fc.integer({ min: 0, max: 0xffff_ffff }),
  ),
  type: fc.stringMatching(/^[a-z][a-z0-9_.-]{0,31}$/),
});

describe("encodeFrame", () => {
  it("writes exactly the bytes of the general CBOR encoder, whichever path writes them", () => {
    fc.assert(
      fc.property(header, anyValue, ({ channel, id, type }, body) => {
        // Act
        const bytes = encodeFrame({ channel, id, type, body: body as FrameValue });
        // Assess
        expect(bytes.equals(referenceFrame(channel, id, type, body))).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it("writes frames larger than the direct writer's buffer through the general encoder, unchanged", () => {
    // Prepare
    const body = { data: new Uint8Array(70_000).fill(3), note: "x".repeat(70_000) };
    // Act
    const bytes = encodeFrame({ channel: "blob", id: 9, type: "put", body });
    // Assess
    expect(bytes.equals(referenceFrame("blob", 9, "put", body))).toBe(true);
  });
});
