import fc from "fast-check";
import { CHANNELS, encodeFrame, type Frame, FrameDecoder, FrameError, type FrameValue } from "../../../lib/frames";

const RUNS = 1_500;

const frameValue: fc.Arbitrary<FrameValue> = fc.letrec<{ value: FrameValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.string({ unit: "grapheme", maxLength: 40 }),
    fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 12 }), tie("value"), { maxKeys: 4 }),
  ),
})).value;

const frameArb = fc.record({
  channel: fc.constantFrom(...CHANNELS),
  id: fc.integer({ min: 0, max: 0xffff_ffff }),
  type: fc.stringMatching(/^[a-z][a-z0-9_.-]{0,31}$/),
  body: frameValue,
});

/** Splits `bytes` at the given cut points (sorted, deduplicated). */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const parts: Uint8Array[] = [];
  let start = 0;
  for (const p of points) {
    parts.push(bytes.subarray(start, p));
    start = p;
  }
  parts.push(bytes.subarray(start));
  return parts;
}

/** Normalises for comparison: -0 and 0 are the same CBOR number. */
function normal(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_k, v) =>
      v instanceof Uint8Array || v?.type === "Buffer" ? Buffer.from(v).toString("hex") : v,
    ),
  );
}

describe("frame codec properties", () => {
  it("round-trips any frame, however the stream is split", () => {
    fc.assert(
      fc.property(
        fc.array(frameArb, { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (frames, cuts) => {
          const stream = Buffer.concat(frames.map((f) => encodeFrame(f)));
          const decoder = new FrameDecoder();
          const got: Frame[] = [];
          for (const part of split(stream, cuts)) got.push(...decoder.push(part));
          decoder.end();
          expect(got.map(normal)).toEqual(frames.map((f) => normal({ version: 1, ...f })));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("never crashes or hangs on random bytes, in any split; only FrameError escapes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), fc.array(fc.nat(), { maxLength: 8 }), (bytes, cuts) => {
        const decoder = new FrameDecoder();
        try {
          for (const part of split(bytes, cuts)) decoder.push(part);
          decoder.end();
        } catch (err) {
          expect(err).toBeInstanceOf(FrameError);
        }
        expect(decoder.pendingBytes).toBeLessThanOrEqual(bytes.length);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it("rejects or faithfully decodes every mutation of a valid frame", () => {
    fc.assert(
      fc.property(frameArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (frame, position, xor) => {
        const bytes = Buffer.from(encodeFrame(frame));
        const i = position % bytes.length;
        bytes[i] = (bytes[i] as number) ^ xor;
        const decoder = new FrameDecoder();
        try {
          const frames = decoder.push(bytes);
          for (const f of frames) {
            expect(typeof f.id).toBe("number");
            expect(CHANNELS).toContain(f.channel);
          }
        } catch (err) {
          expect(err).toBeInstanceOf(FrameError);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("never buffers more than one maximum frame, whatever prefix arrives", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), fc.integer({ min: 64, max: 4096 }), (declared, max) => {
        const decoder = new FrameDecoder({ maxFrameBytes: max });
        const prefix = Buffer.alloc(4);
        prefix.writeUInt32BE(declared, 0);
        try {
          decoder.push(prefix);
          decoder.push(Buffer.alloc(Math.min(declared, max)));
        } catch (err) {
          expect(err).toBeInstanceOf(FrameError);
        }
        expect(decoder.pendingBytes).toBeLessThanOrEqual(max);
      }),
      { numRuns: RUNS },
    );
  });
});
