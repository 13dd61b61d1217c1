import {
  decodeFrameBody,
  encodeFrame,
  type Frame,
  FrameDecoder,
  FrameError,
  LENGTH_PREFIX_BYTES,
  MAX_FRAME_BYTES,
} from "../../../lib/frames";

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
