import { sodiumReady } from "../../../lib/crypto";
import {
  type EnvelopeContext,
  openEnvelope,
  parseEnvelopeHeader,
  SealedChannel,
  type SessionKeys,
  sealEnvelope,
} from "../../../lib/envelope";
import { VettidError } from "../../../lib/errors";

const context: EnvelopeContext = { vaultId: "vlt_1", deviceId: "dev_1", sessionId: "ses_1" };
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

const sealed = () =>
  sealEnvelope({
    key,
    context,
    direction: "device-to-enclave",
    counter: 7,
    op: "items.put",
    plaintext: new TextEncoder().encode("secret"),
  });

describe("sealed envelopes", () => {
  it("rejects every truncation of a valid envelope", () => {
    // Prepare
    const envelope = sealed();
    for (let length = 0; length < envelope.length; length += 1) {
      // Act
      const code = codeOf(() =>
        openEnvelope({ key, context, direction: "device-to-enclave", envelope: envelope.subarray(0, length) }),
      );
      // Assess
      expect(["ENVELOPE_MALFORMED", "ENVELOPE_AUTH_FAILED"]).toContain(code);
    }
  });

  it("rejects an envelope with bytes appended", () => {
    const envelope = sealed();
    const longer = new Uint8Array(envelope.length + 1);
    longer.set(envelope);
    expect(codeOf(() => openEnvelope({ key, context, direction: "device-to-enclave", envelope: longer }))).toBe(
      "ENVELOPE_AUTH_FAILED",
    );
  });

  it.each([
    ["an op length of zero", (e: Uint8Array) => e.fill(0, 10, 11)],
    ["an op length beyond the limit", (e: Uint8Array) => e.fill(65, 10, 11)],
    ["an op length past the end", (e: Uint8Array) => e.fill(60, 10, 11)],
    ["another version", (e: Uint8Array) => e.fill(2, 0, 1)],
    ["an unknown direction", (e: Uint8Array) => e.fill(3, 1, 2)],
    ["a counter above 2^53 - 1", (e: Uint8Array) => e.fill(0xff, 2, 4)],
    ["an op that is not a lower-case name", (e: Uint8Array) => e.fill(0x41, 11, 12)],
  ])("rejects a header with %s as malformed", (_name, mutate) => {
    const envelope = Uint8Array.from(sealed());
    mutate(envelope);
    expect(codeOf(() => parseEnvelopeHeader(envelope))).toBe("ENVELOPE_MALFORMED");
  });

  it("rejects a wrong direction before decrypting", () => {
    expect(codeOf(() => openEnvelope({ key, context, direction: "enclave-to-device", envelope: sealed() }))).toBe(
      "ENVELOPE_WRONG_DIRECTION",
    );
  });

  it("fails closed: after a forged envelope the channel still opens the genuine next one, and only once", () => {
    // Prepare
    const device = new SealedChannel({ role: "device", keys: keys.device, context, windowSize: 0 });
    const enclave = new SealedChannel({ role: "enclave", keys: keys.enclave, context, windowSize: 0 });
    const genuine = device.seal("sign", Uint8Array.of(1));
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
});
