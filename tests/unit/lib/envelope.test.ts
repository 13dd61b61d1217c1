import { sodium, sodiumReady } from "../../../lib/crypto";
import {
  associatedData,
  type EnvelopeContext,
  envelopeDigest,
  MAX_ENVELOPE_BYTES,
  MAX_PLAINTEXT_BYTES,
  openEnvelope,
  PADDING_BUCKETS,
  parseEnvelopeHeader,
  type RequestRef,
  SealedChannel,
  type SessionKeys,
  sealEnvelope,
} from "../../../lib/envelope";
import { VettidError } from "../../../lib/errors";

const context: EnvelopeContext = { vaultId: "vlt_1", deviceId: "dev_1", sessionId: "ses_1" };
const encode = (text: string) => new TextEncoder().encode(text);
let key: Uint8Array;
let keys: { device: SessionKeys; enclave: SessionKeys };

beforeAll(async () => {
  const s = await sodiumReady();
  key = s.crypto_aead_xchacha20poly1305_ietf_keygen();
  const other = s.crypto_aead_xchacha20poly1305_ietf_keygen();
  keys = { device: { tx: key, rx: other }, enclave: { tx: other, rx: key } };
});

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(VettidError);
    return (err as VettidError).code;
  }
  return undefined;
}

const sealed = (plaintext = encode("secret"), op = "items.put") =>
  sealEnvelope({ key, context, direction: "device-to-enclave", counter: 7, op, plaintext });

const requestRef = (): RequestRef => ({ counter: 7, digest: envelopeDigest(sealed()) });

const sealedAnswer = (plaintext = encode("value"), op = "items.get", request = requestRef()) =>
  sealEnvelope({ key, context, direction: "enclave-to-device", counter: 3, op, plaintext, request });

/**
 * An authentic request whose inner plaintext is `inner` exactly as given (bypassing the
 * padding encoder), to test what the receiver checks after authentication.
 */
function withInner(inner: Uint8Array): Uint8Array {
  const header = Uint8Array.of(2, 1, 0, 0, 0, 0, 0, 0, 0, 7);
  const nonce = new Uint8Array(24).fill(9);
  const ciphertext = sodium().crypto_aead_xchacha20poly1305_ietf_encrypt(
    inner,
    associatedData(context, header),
    null,
    nonce,
    key,
  );
  return Uint8Array.from([...header, ...nonce, ...ciphertext]);
}

/** `opLength | op | u32 bodyLength | body`, zero-padded to `size`. */
function inner(op: string, body: Uint8Array, size: number, declaredLength = body.length): Uint8Array {
  const out = new Uint8Array(size);
  const opBytes = encode(op);
  out[0] = opBytes.length;
  out.set(opBytes, 1);
  new DataView(out.buffer).setUint32(1 + opBytes.length, declaredLength);
  out.set(body, 1 + opBytes.length + 4);
  return out;
}

describe("sealed envelopes", () => {
  it("rejects every truncation of a valid envelope", () => {
    // Prepare
    for (const envelope of [sealed(), sealedAnswer()]) {
      for (let length = 0; length < envelope.length; length += 1) {
        // Act
        const code = codeOf(() =>
          openEnvelope({
            key,
            context,
            direction: envelope[1] === 1 ? "device-to-enclave" : "enclave-to-device",
            envelope: envelope.subarray(0, length),
            request: requestRef(),
          }),
        );
        // Assess
        expect(["ENVELOPE_MALFORMED", "ENVELOPE_AUTH_FAILED"]).toContain(code);
      }
    }
  });

  it("rejects an envelope with bytes appended", () => {
    const envelope = sealed();
    for (const extra of [1, 16, 1_024 - 256]) {
      const longer = new Uint8Array(envelope.length + extra);
      longer.set(envelope);
      expect(codeOf(() => openEnvelope({ key, context, direction: "device-to-enclave", envelope: longer }))).toBe(
        extra === 1_024 - 256 ? "ENVELOPE_AUTH_FAILED" : "ENVELOPE_MALFORMED",
      );
    }
  });

  it.each([
    ["another version", (e: Uint8Array) => e.fill(1, 0, 1)],
    ["an unknown direction", (e: Uint8Array) => e.fill(3, 1, 2)],
    ["a counter above 2^53 - 1", (e: Uint8Array) => e.fill(0xff, 2, 4)],
    ["a length that is not a padding bucket", (e: Uint8Array) => e.subarray(0, e.length - 1)],
  ])("rejects a header with %s as malformed", (_name, mutate) => {
    const envelope = Uint8Array.from(sealed());
    expect(codeOf(() => parseEnvelopeHeader(mutate(envelope)))).toBe("ENVELOPE_MALFORMED");
  });

  it("rejects an answer naming a request counter above 2^53 - 1 as malformed", () => {
    const envelope = Uint8Array.from(sealedAnswer());
    envelope.fill(0xff, 10, 12);
    expect(codeOf(() => parseEnvelopeHeader(envelope))).toBe("ENVELOPE_MALFORMED");
  });

  it("rejects a wrong direction before decrypting", () => {
    expect(codeOf(() => openEnvelope({ key, context, direction: "enclave-to-device", envelope: sealed() }))).toBe(
      "ENVELOPE_WRONG_DIRECTION",
    );
    expect(
      codeOf(() =>
        openEnvelope({ key, context, direction: "device-to-enclave", envelope: sealedAnswer(), request: requestRef() }),
      ),
    ).toBe("ENVELOPE_WRONG_DIRECTION");
  });

  it("fails closed: after a forged envelope the channel still opens the genuine next one, and only once", () => {
    // Prepare
    const device = new SealedChannel({ role: "device", keys: keys.device, context, windowSize: 0 });
    const enclave = new SealedChannel({ role: "enclave", keys: keys.enclave, context, windowSize: 0 });
    const genuine = device.seal("sign", Uint8Array.of(1)).envelope;
    const forged = Uint8Array.from(genuine);
    forged[forged.length - 1] = (forged[forged.length - 1] as number) ^ 1;
    // Act + Assess
    expect(codeOf(() => enclave.open(forged))).toBe("ENVELOPE_AUTH_FAILED");
    expect(enclave.open(genuine).op).toBe("sign");
    expect(codeOf(() => enclave.open(genuine))).toBe("ENVELOPE_REPLAYED");
  });

  it("refuses ids outside 1..128 bytes and keys that are not 32 bytes", () => {
    const base = { direction: "device-to-enclave" as const, counter: 0, op: "x", plaintext: new Uint8Array() };
    expect(codeOf(() => sealEnvelope({ ...base, key, context: { ...context, vaultId: "" } }))).toBe(
      "ENVELOPE_MALFORMED",
    );
    expect(codeOf(() => sealEnvelope({ ...base, key, context: { ...context, sessionId: "s".repeat(129) } }))).toBe(
      "ENVELOPE_MALFORMED",
    );
    expect(codeOf(() => sealEnvelope({ ...base, key: new Uint8Array(31), context }))).toBe("ENVELOPE_MALFORMED");
  });

  it("refuses an answer without the counter and 32-byte digest of its request", () => {
    const base = {
      key,
      context,
      direction: "enclave-to-device" as const,
      counter: 0,
      op: "x",
      plaintext: Uint8Array.of(1),
    };
    expect(codeOf(() => sealEnvelope({ ...base, request: { counter: 0, digest: new Uint8Array(31) } }))).toBe(
      "VALIDATION_FAILED",
    );
    expect(codeOf(() => sealEnvelope({ ...base, request: { counter: -1, digest: new Uint8Array(32) } }))).toBe(
      "VALIDATION_FAILED",
    );
    expect(codeOf(() => openEnvelope({ key, context, direction: "enclave-to-device", envelope: sealedAnswer() }))).toBe(
      "VALIDATION_FAILED",
    );
  });
});

describe("envelope v2: the host learns neither the op nor the size beyond its bucket", () => {
  it("keeps the op out of the envelope bytes", () => {
    // Prepare
    const ops = ["items.get", "items.put", "vault.unlock", "identity.sign", "backup.export"];
    for (const op of ops) {
      // Act
      const request = sealed(encode("x"), op);
      const answer = sealedAnswer(encode("y"), op);
      // Assess
      expect(Buffer.from(request).includes(Buffer.from(op))).toBe(false);
      expect(Buffer.from(answer).includes(Buffer.from(op))).toBe(false);
      expect(openEnvelope({ key, context, direction: "device-to-enclave", envelope: request }).op).toBe(op);
    }
  });

  it("gives two plaintexts of different lengths in one bucket envelopes of equal length, whatever the op", () => {
    // Prepare: the first bucket holds bodies of 0..187 bytes (256 - 69 bytes of largest framing)
    const short = sealed(new Uint8Array(0), "x");
    const long = sealed(new Uint8Array(187).fill(7), "items.put");
    const next = sealed(new Uint8Array(188), "x");
    // Assess
    expect(short.length).toBe(long.length);
    expect(short.length).toBe(10 + 24 + 256 + 16);
    expect(next.length).toBe(10 + 24 + 1_024 + 16);
    expect(sealedAnswer(new Uint8Array(1)).length).toBe(sealedAnswer(new Uint8Array(150)).length);
  });

  it("pads to exactly the documented buckets, up to the largest plaintext within one NATS message", () => {
    // Assess: the buckets and limits the protocol documents
    expect([...PADDING_BUCKETS]).toEqual([256, 1_024, 4_096, 16_384, 65_536, 262_144, 1_044_422]);
    expect(MAX_ENVELOPE_BYTES).toBe(1_048_576 - 4_096);
    expect(MAX_PLAINTEXT_BYTES).toBe(1_044_353);
    for (const bucket of PADDING_BUCKETS) {
      const body = new Uint8Array(bucket - 69);
      expect(sealed(body).length).toBe(10 + 24 + bucket + 16);
    }
    // the largest body under the longest op, as an answer (the longer header), fits
    const largest = sealedAnswer(new Uint8Array(MAX_PLAINTEXT_BYTES), "o".repeat(64));
    expect(largest.length).toBe(MAX_ENVELOPE_BYTES);
    expect(largest.length).toBeLessThanOrEqual(1_048_576);
    expect(codeOf(() => sealed(new Uint8Array(MAX_PLAINTEXT_BYTES + 1)))).toBe("PAYLOAD_TOO_LARGE");
  });

  it.each([
    ["non-zero padding", () => Object.assign(inner("items.get", encode("abc"), 256), { 255: 1 })],
    ["an op length of zero", () => inner("", encode("abc"), 256)],
    ["an op length beyond the limit", () => inner("o".repeat(65), encode("abc"), 256)],
    ["an op that is not a lower-case name", () => inner("Items.get", encode("abc"), 256)],
    ["a body length past the end", () => inner("items.get", encode("abc"), 256, 250)],
    ["a body length beyond the largest plaintext", () => inner("items.get", encode("abc"), 256, 0xffffffff)],
    ["a bucket larger than the body needs", () => inner("items.get", encode("abc"), 1_024)],
  ])("rejects %s after authentication as malformed", (_name, make) => {
    // Prepare
    const envelope = withInner(make());
    // Act + Assess
    expect(codeOf(() => openEnvelope({ key, context, direction: "device-to-enclave", envelope }))).toBe(
      "ENVELOPE_MALFORMED",
    );
  });

  it("opens a hand-built canonical inner plaintext (the encoding above is the real one)", () => {
    const envelope = withInner(inner("items.get", encode("abc"), 256));
    const opened = openEnvelope({ key, context, direction: "device-to-enclave", envelope });
    expect(opened).toEqual({ direction: "device-to-enclave", counter: 7, op: "items.get", plaintext: encode("abc") });
  });
});

describe("associated data of a session's context", () => {
  const header = Uint8Array.of(2, 1, 0, 0, 0, 0, 0, 0, 0, 7);

  it("is the same bytes for a frozen context (whose prefix is kept) as for a plain one", () => {
    const frozen = Object.freeze({ ...context });
    const first = associatedData(frozen, header);
    expect(associatedData(frozen, header)).toEqual(first);
    expect(associatedData({ ...context }, header)).toEqual(first);
    const digest = new Uint8Array(32).fill(5);
    expect(associatedData(frozen, header, digest)).toEqual(associatedData({ ...context }, header, digest));
  });

  it("follows a plain context that changes (only frozen ones are kept)", () => {
    const changing = { ...context };
    const before = associatedData(changing, header);
    changing.sessionId = "ses_2";
    expect(associatedData(changing, header)).not.toEqual(before);
    expect(associatedData(changing, header)).toEqual(associatedData({ ...context, sessionId: "ses_2" }, header));
  });

  it("keeps a channel's envelopes bound to the context it was made with, even if the caller's object changes", () => {
    const own = { ...context };
    const device = new SealedChannel({ role: "device", keys: keys.device, context: own });
    const enclave = new SealedChannel({ role: "enclave", keys: keys.enclave, context: { ...context } });
    own.vaultId = "vlt_other";
    const { envelope } = device.seal("items.get", encode("x"));
    expect(enclave.open(envelope).op).toBe("items.get");
  });
});
