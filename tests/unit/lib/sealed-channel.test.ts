import { sodiumReady } from "../../../lib/crypto";
import {
  deriveSessionKeys,
  type EnvelopeContext,
  SealedChannel,
  type SessionKeys,
  sealEnvelope,
} from "../../../lib/envelope";
import { VettidError } from "../../../lib/errors";

const context: EnvelopeContext = { vaultId: "vlt_1", deviceId: "dev_1", sessionId: "sess_1" };
const encode = (text: string) => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
let keys: { device: SessionKeys; enclave: SessionKeys };

beforeAll(async () => {
  const s = await sodiumReady();
  const d = s.crypto_kx_keypair();
  const e = s.crypto_kx_keypair();
  keys = {
    device: deriveSessionKeys("device", d, e.publicKey, context.sessionId),
    enclave: deriveSessionKeys("enclave", e, d.publicKey, context.sessionId),
  };
});

function pair(ctx: EnvelopeContext = context) {
  return {
    device: new SealedChannel({ role: "device", keys: keys.device, context: ctx }),
    enclave: new SealedChannel({ role: "enclave", keys: keys.enclave, context: ctx }),
  };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(VettidError);
    return (err as VettidError).code;
  }
  return undefined;
}

describe("answers are bound to the request they answer", () => {
  it("refuses two answers swapped in flight, then opens each request's own answer", () => {
    // Prepare: two items.get requests in flight, each answered by the enclave
    const { device, enclave } = pair();
    const reqA = device.seal("items.get", encode("name=bank-password"));
    const reqB = device.seal("items.get", encode("name=wifi-password"));
    const openedA = enclave.open(reqA.envelope);
    const ansA = enclave.sealAnswer(openedA, "items.get", encode("value=hunter2 (bank)"));
    const openedB = enclave.open(reqB.envelope);
    const ansB = enclave.sealAnswer(openedB, "items.get", encode("value=guest123 (wifi)"));

    // Act + Assess: the host delivers each answer to the other request's inbox
    expect(codeOf(() => device.openAnswer(ansB, reqA.pending))).toBe("ENVELOPE_WRONG_REQUEST");
    expect(codeOf(() => device.openAnswer(ansA, reqB.pending))).toBe("ENVELOPE_WRONG_REQUEST");
    // both requests are still answerable by their own answers
    expect(device.pendingCount).toBe(2);
    expect(decode(device.openAnswer(ansA, reqA.pending).plaintext)).toBe("value=hunter2 (bank)");
    expect(decode(device.openAnswer(ansB, reqB.pending).plaintext)).toBe("value=guest123 (wifi)");
    expect(device.pendingCount).toBe(0);
  });

  it("refuses a swapped answer even when the host rewrites the request counter it names", () => {
    // Prepare
    const { device, enclave } = pair();
    const reqA = device.seal("items.get", encode("a"));
    const reqB = device.seal("items.get", encode("b"));
    enclave.open(reqA.envelope);
    const ansB = enclave.sealAnswer(enclave.open(reqB.envelope), "items.get", encode("B"));
    // Act: make B's answer name request A (bytes 10..17 of an answer)
    const rewritten = Uint8Array.from(ansB);
    new DataView(rewritten.buffer).setUint32(14, reqA.pending.counter);
    // Assess: the digest of request A is not the one B's answer was sealed with
    expect(codeOf(() => device.openAnswer(rewritten, reqA.pending))).toBe("ENVELOPE_AUTH_FAILED");
    expect(decode(device.openAnswer(ansB, reqB.pending).plaintext)).toBe("B");
  });

  it("refuses a second answer to the same request", () => {
    // Prepare
    const { device, enclave } = pair();
    const request = device.seal("items.get", encode("name=bank"));
    const opened = enclave.open(request.envelope);
    const answer = enclave.sealAnswer(opened, "items.get", encode("first"));
    // a second authentic answer to the same request (what a second sealAnswer would make)
    const second = sealEnvelope({
      key: keys.enclave.tx,
      context,
      direction: "enclave-to-device",
      counter: 1,
      op: "items.get",
      plaintext: encode("second"),
      request: opened,
    });
    expect(decode(device.openAnswer(answer, request.pending).plaintext)).toBe("first");
    // Act + Assess
    expect(codeOf(() => device.openAnswer(answer, request.pending))).toBe("ENVELOPE_REPLAYED");
    expect(codeOf(() => device.openAnswer(second, request.pending))).toBe("ENVELOPE_REPLAYED");
    // and the enclave side seals only one answer per request
    expect(codeOf(() => enclave.sealAnswer(opened, "items.get", encode("again")))).toBe("ENVELOPE_UNSOLICITED");
  });

  it("refuses an answer to no pending request", () => {
    // Prepare
    const { device, enclave } = pair();
    const request = device.seal("items.get", encode("x"));
    const answer = enclave.sealAnswer(enclave.open(request.envelope), "items.get", encode("y"));
    const stranger = pair().device;
    const strangerRequest = stranger.seal("items.get", encode("x"));
    // Act + Assess: a handle this channel never issued, one it cancelled, and an answer naming an unsent counter
    expect(codeOf(() => device.openAnswer(answer, strangerRequest.pending))).toBe("ENVELOPE_UNSOLICITED");
    const later = device.seal("items.get", encode("z"));
    const namesUnsent = Uint8Array.from(answer);
    new DataView(namesUnsent.buffer).setUint32(14, 41);
    expect(codeOf(() => device.openAnswer(namesUnsent, later.pending))).toBe("ENVELOPE_UNSOLICITED");
    device.cancel(request.pending);
    expect(codeOf(() => device.openAnswer(answer, request.pending))).toBe("ENVELOPE_UNSOLICITED");
    expect(device.pendingCount).toBe(1);
  });

  it("refuses an answer made in another vault or another session, then opens its own", () => {
    for (const field of ["vaultId", "deviceId", "sessionId"] as const) {
      // Prepare: the same request counter in two contexts (same keys, so only the binding differs)
      const here = pair();
      const there = pair({ ...context, [field]: `${context[field]}-other` });
      const mine = here.device.seal("items.get", encode("name=bank"));
      const theirs = there.device.seal("items.get", encode("name=bank"));
      const foreign = there.enclave.sealAnswer(there.enclave.open(theirs.envelope), "items.get", encode("theirs"));
      // the same answer bound to this request's digest but made under the other context
      const rebound = sealEnvelope({
        key: keys.enclave.tx,
        context: { ...context, [field]: `${context[field]}-other` },
        direction: "enclave-to-device",
        counter: 0,
        op: "items.get",
        plaintext: encode("theirs"),
        request: mine.pending,
      });
      // Act + Assess
      expect(codeOf(() => here.device.openAnswer(foreign, mine.pending))).toBe("ENVELOPE_AUTH_FAILED");
      expect(codeOf(() => here.device.openAnswer(rebound, mine.pending))).toBe("ENVELOPE_AUTH_FAILED");
      const own = here.enclave.sealAnswer(here.enclave.open(mine.envelope), "items.get", encode("mine"));
      expect(decode(here.device.openAnswer(own, mine.pending).plaintext)).toBe("mine");
    }
  });

  it("refuses every truncation of an answer, and the request still opens its full answer", () => {
    // Prepare
    const { device, enclave } = pair();
    const request = device.seal("items.get", encode("x"));
    const answer = enclave.sealAnswer(enclave.open(request.envelope), "items.get", encode("y"));
    for (let length = 0; length < answer.length; length += 1) {
      // Act
      const code = codeOf(() => device.openAnswer(answer.subarray(0, length), request.pending));
      // Assess
      expect(["ENVELOPE_MALFORMED", "ENVELOPE_AUTH_FAILED"]).toContain(code);
    }
    expect(decode(device.openAnswer(answer, request.pending).plaintext)).toBe("y");
  });

  it("refuses a request sent back to the device as an answer, and an answer sent to the enclave", () => {
    const { device, enclave } = pair();
    const request = device.seal("items.get", encode("x"));
    expect(codeOf(() => device.openAnswer(request.envelope, request.pending))).toBe("ENVELOPE_WRONG_DIRECTION");
    const answer = enclave.sealAnswer(enclave.open(request.envelope), "items.get", encode("y"));
    expect(codeOf(() => enclave.open(answer))).toBe("ENVELOPE_WRONG_DIRECTION");
  });

  it("keeps each side to its own methods", () => {
    const { device, enclave } = pair();
    expect(() => enclave.seal("items.get", encode("x"))).toThrow(TypeError);
    expect(() => device.open(new Uint8Array(306))).toThrow(TypeError);
  });
});
