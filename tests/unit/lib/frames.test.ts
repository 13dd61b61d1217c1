import {
  decodeFrameBody,
  encodeFrame,
  type Frame,
  FrameDecoder,
  FrameError,
  LENGTH_PREFIX_BYTES,
  MAX_FRAME_BYTES,
} from "../../../lib/frames";
import { bombFrameBody, frameHead } from "./hostile-cbor";

const sample: Omit<Frame, "version"> = {
  channel: "nats",
  id: 7,
  type: "publish",
  body: {
    subject: "vault.v1.abc.req",
    data: new Uint8Array([1, 2, 3]),
    headers: null,
    n: 1.5,
    ok: true,
    list: ["a", 1],
  },
};

function lengthPrefixed(body: Uint8Array): Buffer {
  const out = Buffer.alloc(LENGTH_PREFIX_BYTES + body.length);
  out.writeUInt32BE(body.length, 0);
  out.set(body, LENGTH_PREFIX_BYTES);
  return out;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof FrameError) return err.code;
    throw err;
  }
  return undefined;
}

describe("frame codec", () => {
  it("round-trips a frame", () => {
    const bytes = encodeFrame(sample);
    const [frame] = new FrameDecoder().push(bytes);

    expect(frame).toEqual({
      version: 1,
      ...sample,
      body: { ...(sample.body as object), data: Buffer.from([1, 2, 3]) },
    });
  });

  it("decodes several frames from one read and one frame from many reads", () => {
    const a = encodeFrame({ ...sample, id: 1 });
    const b = encodeFrame({ ...sample, id: 2 });
    const decoder = new FrameDecoder();

    expect(decoder.push(Buffer.concat([a, b])).map((f) => f.id)).toEqual([1, 2]);
    const got: number[] = [];
    for (const byte of a) got.push(...decoder.push(Buffer.from([byte])).map((f) => f.id));
    expect(got).toEqual([1]);
    expect(decoder.pendingBytes).toBe(0);
  });

  it("refuses a declared length above the limit before buffering the body", () => {
    const decoder = new FrameDecoder();
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(MAX_FRAME_BYTES, 0);

    expect(codeOf(() => decoder.push(prefix))).toBe("FRAME_TOO_LARGE");
    expect(decoder.pendingBytes).toBe(0);
    // poisoned: the stream position is lost, so every later push fails too
    expect(codeOf(() => decoder.push(encodeFrame(sample)))).toBe("FRAME_TOO_LARGE");
  });

  it("refuses to encode a frame above the limit", () => {
    const big = { ...sample, body: new Uint8Array(MAX_FRAME_BYTES) };
    expect(codeOf(() => encodeFrame(big))).toBe("FRAME_TOO_LARGE");
    expect(codeOf(() => encodeFrame(sample, { maxFrameBytes: 16 }))).toBe("FRAME_TOO_LARGE");
  });

  it("reports a stream that ends inside a frame as truncated", () => {
    const decoder = new FrameDecoder();
    decoder.push(encodeFrame(sample).subarray(0, 10));
    expect(codeOf(() => decoder.end())).toBe("FRAME_TRUNCATED");
  });

  it.each([
    ["not CBOR", Buffer.from("ffffffffffffff", "hex")],
    ["not an array", Buffer.from("a4616101616202616303616404", "hex")],
    ["array of 4", Buffer.from("8401646e6174730763726571", "hex")],
    ["unknown channel", Buffer.from("850163666f6f0763726571a0", "hex")],
    ["negative id", Buffer.from("8501646e61747320637265" + "71a0", "hex")],
    ["upper-case type", Buffer.from("8501646e6174730763524551a0", "hex")],
    ["trailing bytes", Buffer.concat([Buffer.from("8501646e6174730763726571a0", "hex"), Buffer.from([0])])],
  ])("rejects a body that is %s", (_name, body) => {
    expect(codeOf(() => decodeFrameBody(body))).toBe("FRAME_MALFORMED");
  });

  it("rejects another frame version", () => {
    expect(codeOf(() => decodeFrameBody(Buffer.from("8502646e6174730763726571a0", "hex")))).toBe(
      "FRAME_UNSUPPORTED_VERSION",
    );
  });

  it("keeps __proto__ keys as data and never touches a prototype", () => {
    // {"__proto__": {"polluted": true}} as a CBOR map
    const body = Buffer.from("8501646e6174730763726571a1695f5f70726f746f5f5fa168706f6c6c75746564f5", "hex");
    const frame = decodeFrameBody(body);
    expect(Object.getPrototypeOf(frame.body)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.hasOwn(frame.body as object, "__proto__")).toBe(true);
  });

  it("decodes map keys named like Object.prototype members as own data properties, in order", () => {
    // Prepare: a body map whose keys shadow prototype members, and the same frame re-encoded
    const keys = ["toString", "constructor", "__proto__", "hasOwnProperty", "valueOf", "a"];
    const entries = keys.map((key, index): [string, number] => [key, index]);
    const head = encodeFrame({ channel: "nats", id: 7, type: "req", body: null }).subarray(LENGTH_PREFIX_BYTES);
    const mapHead = Buffer.from([0xa0 | keys.length]);
    const encodedEntries = entries.map(([key, value]) =>
      Buffer.concat([Buffer.from([0x60 | key.length]), Buffer.from(key), Buffer.from([value])]),
    );
    const bytes = Buffer.concat([head.subarray(0, head.length - 1), mapHead, ...encodedEntries]); // body null → map

    // Act
    const body = decodeFrameBody(bytes).body as Record<string, unknown>;

    // Assess: exactly what Object.fromEntries gives, and no prototype touched
    expect(Object.getPrototypeOf(body)).toBe(Object.prototype);
    expect(Reflect.ownKeys(body)).toEqual(keys);
    for (const [key, value] of entries) {
      expect(Object.getOwnPropertyDescriptor(body, key)).toEqual({
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    expect(body).toStrictEqual(Object.fromEntries(entries));
  });

  it("rejects tags, undefined and deep nesting in the body", () => {
    const tagged = Buffer.from("8501646e6174730763726571c11a5f5e1000", "hex"); // tag 1 (date)
    const undef = Buffer.from("8501646e6174730763726571f7", "hex");
    let deep = Buffer.from("a0", "hex");
    for (let i = 0; i < 40; i += 1) deep = Buffer.concat([Buffer.from([0x81]), deep]);
    const nested = Buffer.concat([Buffer.from("8501646e6174730763726571", "hex"), deep]);

    expect(codeOf(() => decodeFrameBody(tagged))).toBe("FRAME_MALFORMED");
    expect(codeOf(() => decodeFrameBody(undef))).toBe("FRAME_MALFORMED");
    expect(codeOf(() => decodeFrameBody(nested))).toBe("FRAME_MALFORMED");
  });

  it("rejects a length-prefixed body with an impossible inner length without allocating it", () => {
    // byte string claiming 4 GiB inside a small frame
    const body = Buffer.from("8501646e61747307637265715affffffff00", "hex");
    const decoder = new FrameDecoder();
    expect(codeOf(() => decoder.push(lengthPrefixed(body)))).toBe("FRAME_MALFORMED");
  });
});

describe("frame bodies are strict CBOR (docs/protocol.md §Frames)", () => {
  const head = frameHead();
  const text = (s: string) => [0x60 | s.length, ...Buffer.from(s)];

  /** The FrameError code and the strict-CBOR reason behind it. */
  function rejectionOf(bytes: number[] | Uint8Array): { code: string; reason: unknown } | undefined {
    try {
      decodeFrameBody(Uint8Array.from(bytes));
    } catch (err) {
      if (!(err instanceof FrameError)) throw err;
      return { code: err.code, reason: (err.cause as { reason?: unknown } | undefined)?.reason };
    }
    return undefined;
  }

  it("rejects a shared-reference bomb before anything is expanded", () => {
    // Prepare: 30 levels, each referencing the one below twice (2^30 nodes once expanded)
    const body = bombFrameBody(30);

    // Act
    const rejection = rejectionOf(body);

    // Assess
    expect(LENGTH_PREFIX_BYTES + body.length).toBe(296);
    expect(rejection).toEqual({ code: "FRAME_MALFORMED", reason: "tag_not_allowed" });
  });

  it.each([
    ["28 (shareable)", [0xd8, 0x1c, 0x80]],
    ["29 (shared reference)", [0xd8, 0x1d, 0x00]],
    ["27 (RegExp)", [0xd8, 0x1b, 0x82, ...text("RegExp"), ...text("(a)")]],
    ["259 (Map)", [0xd9, 0x01, 0x03, 0xa0]],
    ["64 (Uint8Array)", [0xd8, 0x40, 0x41, 0x00]],
    ["18 (COSE_Sign1), allowed only on attestation documents", [0xd2, 0x80]],
  ])("rejects tag %s anywhere in a frame", (_name, item) => {
    expect(rejectionOf([...head, ...item])).toEqual({ code: "FRAME_MALFORMED", reason: "tag_not_allowed" });
    expect(rejectionOf([...head, 0x81, ...item])).toEqual({ code: "FRAME_MALFORMED", reason: "tag_not_allowed" });
  });

  it("rejects a duplicate map key, even one hidden behind a longer head", () => {
    const minimal = [...head, 0xa2, ...text("a"), 0x01, ...text("a"), 0x02];
    const longHead = [...head, 0xa2, ...text("a"), 0x01, 0x78, 0x01, 0x61, 0x02]; // "a" with a 1-byte length
    const nested = [...head, 0xa1, ...text("x"), 0xa3, ...text("b"), 0x01, ...text("c"), 0x02, ...text("b"), 0x03];

    expect(rejectionOf(minimal)).toEqual({ code: "FRAME_MALFORMED", reason: "duplicate_key" });
    expect(rejectionOf(longHead)).toEqual({ code: "FRAME_MALFORMED", reason: "duplicate_key" });
    expect(rejectionOf(nested)).toEqual({ code: "FRAME_MALFORMED", reason: "duplicate_key" });
  });

  it("rejects a duplicate key in a map too large to compare pairwise", () => {
    const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
    const entries = [...keys, "k17"].flatMap((key) => [...text(key), 0xf6]);

    expect(rejectionOf([...head, 0xb8, keys.length + 1, ...entries])).toEqual({
      code: "FRAME_MALFORMED",
      reason: "duplicate_key",
    });
    expect(decodeFrameBody(Uint8Array.from([...head, 0xb8, keys.length, ...entries.slice(0, -5)])).body).toEqual(
      Object.fromEntries(keys.map((key) => [key, null])),
    );
  });

  it.each([
    ["map", [0xbf, ...text("a"), 0x01, 0xff]],
    ["array", [0x9f, 0x01, 0xff]],
    ["text string", [0x7f, ...text("a"), 0xff]],
    ["byte string", [0x5f, 0x41, 0x00, 0xff]],
  ])("rejects an indefinite-length %s", (_name, item) => {
    expect(rejectionOf([...head, ...item])).toEqual({ code: "FRAME_MALFORMED", reason: "indefinite_length" });
  });

  it("rejects a stray break byte, a non-text map key and an undefined value", () => {
    expect(rejectionOf([...head, 0xff])).toEqual({ code: "FRAME_MALFORMED", reason: "unexpected_break" });
    expect(rejectionOf([...head, 0xa1, 0x01, 0x02])).toEqual({
      code: "FRAME_MALFORMED",
      reason: "key_type_not_allowed",
    });
    expect(rejectionOf([...head, 0xf7])).toEqual({ code: "FRAME_MALFORMED", reason: "simple_not_allowed" });
  });

  it("rejects invalid UTF-8 in a text string", () => {
    expect(rejectionOf([...head, 0x62, 0xc3, 0x28])).toEqual({ code: "FRAME_MALFORMED", reason: "invalid_utf8" });
    expect(rejectionOf([...head, 0x63, 0xed, 0xa0, 0x80])).toEqual({
      code: "FRAME_MALFORMED",
      reason: "invalid_utf8",
    }); // a UTF-16 surrogate
  });

  it("rejects nesting deeper than the limit before cbor-x recurses", () => {
    const deep = [...head, ...new Array(500_000).fill(0x81), 0x00];
    expect(rejectionOf(deep)).toEqual({ code: "FRAME_MALFORMED", reason: "too_deep" });
  });

  it("decodes the same valid frame identically whether its heads are minimal or not", () => {
    // Prepare: {"a": [1, h'00'], "bc": "é"} with minimal heads, and with 1-, 2- and 4-byte heads
    const minimal = [...head, 0xa2, 0x61, 0x61, 0x82, 0x01, 0x41, 0x00, 0x62, 0x62, 0x63, 0x62, 0xc3, 0xa9];
    const long = [
      ...head,
      0xb8,
      0x02,
      0x78,
      0x01,
      0x61,
      0x99,
      0x00,
      0x02,
      0x18,
      0x01,
      0x5a,
      0,
      0,
      0,
      1,
      0x00,
      0x79,
      0x00,
      0x02,
      0x62,
      0x63,
      0x78,
      0x02,
      0xc3,
      0xa9,
    ];

    // Act
    const a = decodeFrameBody(Uint8Array.from(minimal));
    const b = decodeFrameBody(Uint8Array.from(long));

    // Assess
    expect(a.body).toEqual({ a: [1, Buffer.from([0])], bc: "é" });
    expect(b).toEqual(a);
  });
});
