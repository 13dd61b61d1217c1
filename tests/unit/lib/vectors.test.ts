import { sodiumReady } from "../../../lib/crypto";
import {
  associatedData,
  deriveSessionKeys,
  envelopeDigest,
  openEnvelope,
  PADDING_BUCKETS,
  padInner,
  type RequestRef,
  sealEnvelope,
} from "../../../lib/envelope";
import { encodeFrame, FrameDecoder, type FrameValue } from "../../../lib/frames";
import envelopeVectors from "../../vectors/envelope-v2.json";
import frameVectors from "../../vectors/frames-v1.json";

const bytes = (hex: string) => new Uint8Array(Buffer.from(hex, "hex"));
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

function revive(value: unknown): FrameValue {
  return JSON.parse(JSON.stringify(value), (_k, v) =>
    v && typeof v === "object" && "$bytes" in v ? Buffer.from(v.$bytes, "hex") : v,
  );
}

beforeAll(() => sodiumReady());

describe("envelope test vectors (tests/vectors/envelope-v2.json)", () => {
  const v = envelopeVectors;

  it("derives the published session keys on both sides", async () => {
    const s = await sodiumReady();
    const device = s.crypto_kx_seed_keypair(bytes(v.device.kxSeed));
    const enclave = s.crypto_kx_seed_keypair(bytes(v.enclave.kxSeed));
    expect(hex(device.publicKey)).toBe(v.device.publicKey);

    const deviceKeys = deriveSessionKeys("device", device, enclave.publicKey, v.context.sessionId);
    const enclaveKeys = deriveSessionKeys("enclave", enclave, device.publicKey, v.context.sessionId);

    expect(hex(deviceKeys.tx)).toBe(v.sessionKeys.deviceToEnclave);
    expect(hex(deviceKeys.rx)).toBe(v.sessionKeys.enclaveToDevice);
    expect(hex(enclaveKeys.rx)).toBe(v.sessionKeys.deviceToEnclave);
    expect(hex(enclaveKeys.tx)).toBe(v.sessionKeys.enclaveToDevice);
  });

  it("publishes the padding buckets of the reference code", () => {
    expect(v.paddingBuckets).toEqual([...PADDING_BUCKETS]);
  });

  it.each(v.cases.map((c) => [c.op, c.direction, c.counter, c] as const))(
    "%s %s #%d seals and opens as published",
    (_op, _d, _n, c) => {
      const key = bytes(
        c.direction === "device-to-enclave" ? v.sessionKeys.deviceToEnclave : v.sessionKeys.enclaveToDevice,
      );
      const plaintext = new TextEncoder().encode(c.plaintextUtf8);
      const common = { key, context: v.context, counter: c.counter, op: c.op, plaintext, nonce: bytes(c.nonce) };
      let request: RequestRef | undefined;
      let sealed: Uint8Array;
      if (c.direction === "enclave-to-device") {
        const answered = v.cases[c.answersCase as number];
        if (!answered) throw new Error("the answered case is missing");
        // the digest binds the answer to the exact bytes of the published request
        expect(hex(envelopeDigest(bytes(answered.envelope)))).toBe(c.requestDigest);
        expect(c.requestCounter).toBe(answered.counter);
        request = { counter: answered.counter, digest: bytes(c.requestDigest as string) };
        sealed = sealEnvelope({ ...common, direction: "enclave-to-device", request });
      } else {
        sealed = sealEnvelope({ ...common, direction: "device-to-enclave" });
      }
      const direction = c.direction as "device-to-enclave" | "enclave-to-device";
      const opened = openEnvelope({ key, context: v.context, direction, envelope: bytes(c.envelope), request });

      expect(hex(sealed)).toBe(c.envelope);
      expect(c.envelope.startsWith(c.header + c.nonce)).toBe(true);
      expect(hex(padInner(c.op, plaintext))).toBe(c.inner);
      expect(hex(associatedData(v.context, bytes(c.header), request?.digest))).toBe(c.associatedData);
      expect(new TextDecoder().decode(opened.plaintext)).toBe(c.plaintextUtf8);
      expect(opened.op).toBe(c.op);
      expect(opened.counter).toBe(c.counter);
    },
  );
});

describe("frame test vectors (tests/vectors/frames-v1.json)", () => {
  it.each(frameVectors.cases.map((c) => [c.frame.type, c] as const))("%s encodes and decodes as published", (_t, c) => {
    const frame = { ...c.frame, body: revive(c.frame.body) } as Parameters<typeof encodeFrame>[0];

    expect(hex(encodeFrame(frame))).toBe(c.encoded);
    const [decoded] = new FrameDecoder().push(bytes(c.encoded));
    expect(decoded).toEqual({ version: 1, ...frame });
  });
});
