import { sodiumReady } from "../../../lib/crypto";
import { deriveSessionKeys, openEnvelope, sealEnvelope } from "../../../lib/envelope";
import { encodeFrame, FrameDecoder, type FrameValue } from "../../../lib/frames";
import envelopeVectors from "../../vectors/envelope-v1.json";
import frameVectors from "../../vectors/frames-v1.json";

const bytes = (hex: string) => new Uint8Array(Buffer.from(hex, "hex"));
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

function revive(value: unknown): FrameValue {
  return JSON.parse(JSON.stringify(value), (_k, v) =>
    v && typeof v === "object" && "$bytes" in v ? Buffer.from(v.$bytes, "hex") : v,
  );
}

beforeAll(() => sodiumReady());

describe("envelope test vectors (tests/vectors/envelope-v1.json)", () => {
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

  it.each(v.cases.map((c) => [c.op, c.direction, c.counter, c] as const))(
    "%s %s #%d seals and opens as published",
    (_op, _d, _n, c) => {
      const key = bytes(
        c.direction === "device-to-enclave" ? v.sessionKeys.deviceToEnclave : v.sessionKeys.enclaveToDevice,
      );
      const plaintext = new TextEncoder().encode(c.plaintextUtf8);
      const direction = c.direction as "device-to-enclave" | "enclave-to-device";

      const sealed = sealEnvelope({
        key,
        context: v.context,
        direction,
        counter: c.counter,
        op: c.op,
        plaintext,
        nonce: bytes(c.nonce),
      });
      const opened = openEnvelope({ key, context: v.context, direction, envelope: bytes(c.envelope) });

      expect(hex(sealed)).toBe(c.envelope);
      expect(new TextDecoder().decode(opened.plaintext)).toBe(c.plaintextUtf8);
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
