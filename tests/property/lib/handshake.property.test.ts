import fc from "fast-check";
import { sodiumReady } from "../../../lib/crypto";
import { VettidError } from "../../../lib/errors";
import {
  initiateHandshake,
  MAX_MESSAGE1_BYTES,
  MAX_MESSAGE2_BYTES,
  MAX_PAYLOAD_BYTES,
  MESSAGE1_FIXED_BYTES,
  MESSAGE2_FIXED_BYTES,
  readHandshakeRequest,
} from "../../../lib/handshake";
import { context, deviceKeyPair, enclave, handshake, hex } from "../../unit/lib/handshake/helpers";

/** Message 1 costs an ML-KEM decapsulation when its framing is right: fewer runs there. */
const RUNS = 1_000;
const KEM_RUNS = 300;

let fixture: ReturnType<typeof handshake>;

beforeAll(async () => {
  await sodiumReady();
  fixture = handshake();
});

/** True when `fn` threw a typed handshake error; anything else thrown (or nothing) fails the property. */
function refusedAsHandshakeError(fn: () => unknown): boolean {
  try {
    fn();
  } catch (err) {
    return err instanceof VettidError && /^HANDSHAKE_(MALFORMED|FAILED)$/.test(err.code);
  }
  return false;
}

const readMessage1 = (message: Uint8Array) => () =>
  readHandshakeRequest({ enclaveKeys: fixture.enclave.keys, context: fixture.context, message });

/** A fresh device handshake towards the fixture's enclave, and the enclave's genuine answer to it. */
function pendingDevice() {
  const initiator = initiateHandshake({
    deviceKey: fixture.device,
    enclaveKeys: fixture.enclave.publicKeys,
    context: fixture.context,
    payload: new Uint8Array(0),
  });
  const answer = readHandshakeRequest({
    enclaveKeys: fixture.enclave.keys,
    context: fixture.context,
    message: initiator.message,
  }).accept({ authorize: () => true, payload: new Uint8Array(3) });
  return { initiator, answer };
}

/** Any change to a message: flip a bit, change a byte, insert or delete bytes, truncate, extend. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.nat({ max: 7 }) }),
  fc.record({ kind: fc.constant("xor" as const), at: fc.nat(), value: fc.integer({ min: 1, max: 255 }) }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("extend" as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(message: Uint8Array, m: Mutation): Uint8Array {
  const at = "at" in m ? m.at % message.length : 0;
  const copy = new Uint8Array(message);
  switch (m.kind) {
    case "flip":
      copy[at] = (copy[at] as number) ^ (1 << m.bit);
      return copy;
    case "xor":
      copy[at] = (copy[at] as number) ^ m.value;
      return copy;
    case "insert":
      return Uint8Array.from([...copy.subarray(0, at), ...m.bytes, ...copy.subarray(at)]);
    case "delete":
      return Uint8Array.from([...copy.subarray(0, at), ...copy.subarray(at + m.count)]);
    case "truncate":
      return copy.subarray(0, at);
    default:
      return Uint8Array.from([...copy, ...m.bytes]);
  }
}

describe("handshake messages from a hostile host (fast-check)", () => {
  it("refuses random bytes as message 1 with a typed handshake error only", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: MAX_MESSAGE1_BYTES + 64 }), (bytes) =>
        refusedAsHandshakeError(readMessage1(bytes)),
      ),
      { numRuns: RUNS },
    );
  });

  it("refuses random well-framed message 1 bytes (version 1, a valid length) as HANDSHAKE_FAILED", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: MESSAGE1_FIXED_BYTES, maxLength: MESSAGE1_FIXED_BYTES + 256 }),
        (bytes) => {
          bytes[0] = 1;
          try {
            readMessage1(bytes)();
          } catch (err) {
            return err instanceof VettidError && err.code === "HANDSHAKE_FAILED";
          }
          return false;
        },
      ),
      { numRuns: KEM_RUNS },
    );
  });

  it("refuses random bytes as message 2, framed or not, and the genuine message 2 still finishes", () => {
    const { initiator, answer } = pendingDevice();
    const anyBytes = fc.uint8Array({ maxLength: MAX_MESSAGE2_BYTES + 64 });
    const framed = fc
      .uint8Array({ minLength: MESSAGE2_FIXED_BYTES, maxLength: MESSAGE2_FIXED_BYTES + 256 })
      .map((b) => Uint8Array.from([1, ...b.subarray(1)]));
    fc.assert(
      fc.property(fc.oneof(anyBytes, framed), (bytes) => refusedAsHandshakeError(() => initiator.finish(bytes))),
      { numRuns: RUNS },
    );

    expect(hex(initiator.finish(answer.message).session.keys.rx)).toBe(hex(answer.session.keys.tx));
  });

  it("refuses every mutation of a genuine message 1", () => {
    fc.assert(
      fc.property(mutation, (m) => refusedAsHandshakeError(readMessage1(mutate(fixture.message1, m)))),
      { numRuns: KEM_RUNS },
    );
  });

  it("refuses every mutation of a genuine message 2, and the genuine one still finishes", () => {
    const { initiator, answer } = pendingDevice();
    fc.assert(
      fc.property(mutation, (m) => refusedAsHandshakeError(() => initiator.finish(mutate(answer.message, m)))),
      { numRuns: RUNS },
    );

    expect(initiator.finish(answer.message).session.sessionId).toBe(answer.session.sessionId);
  });

  it("agrees on keys and delivers both payloads for any payloads and ids", () => {
    const device = deviceKeyPair();
    const enc = enclave();
    const id = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: MAX_PAYLOAD_BYTES }),
        fc.uint8Array({ maxLength: MAX_PAYLOAD_BYTES }),
        id,
        id,
        (request, answer, vaultId, deviceId) => {
          const ctx = context({ vaultId, deviceId });
          const run = handshake({ device, enclave: enc, context: ctx, request, answer });
          const finished = run.initiator.finish(run.accepted.message);
          return (
            hex(run.request.payload) === hex(request) &&
            hex(finished.payload) === hex(answer) &&
            hex(finished.session.keys.tx) === hex(run.accepted.session.keys.rx) &&
            hex(finished.session.keys.rx) === hex(run.accepted.session.keys.tx) &&
            finished.session.sessionId === run.accepted.session.sessionId &&
            finished.session.context.vaultId === vaultId
          );
        },
      ),
      { numRuns: 100 },
    );
  });
});
