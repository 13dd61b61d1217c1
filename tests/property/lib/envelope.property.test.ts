import fc from "fast-check";
import { sodiumReady } from "../../../lib/crypto";
import {
  type EnvelopeContext,
  PADDING_BUCKETS,
  parseEnvelopeHeader,
  ReplayWindow,
  SealedChannel,
  type SessionKeys,
} from "../../../lib/envelope";
import { VettidError } from "../../../lib/errors";

const RUNS = 1_000;

let keys: { device: SessionKeys; enclave: SessionKeys };
const context: EnvelopeContext = { vaultId: "vault-1", deviceId: "device-1", sessionId: "session-1" };

beforeAll(async () => {
  const s = await sodiumReady();
  const d2e = s.crypto_aead_xchacha20poly1305_ietf_keygen();
  const e2d = s.crypto_aead_xchacha20poly1305_ietf_keygen();
  keys = { device: { tx: d2e, rx: e2d }, enclave: { tx: e2d, rx: d2e } };
});

function pair(windowSize = 64) {
  return {
    device: new SealedChannel({ role: "device", keys: keys.device, context, windowSize }),
    enclave: new SealedChannel({ role: "enclave", keys: keys.enclave, context, windowSize }),
  };
}

/** True when `fn` threw a typed envelope error; anything else thrown fails the test. */
function rejects(fn: () => unknown): boolean {
  try {
    fn();
    return false;
  } catch (err) {
    expect(err).toBeInstanceOf(VettidError);
    expect((err as VettidError).code).toMatch(/^ENVELOPE_/);
    return true;
  }
}

/** A request, the enclave's answer to it, and the pending handle on the device. */
function exchange(name: string, plaintext: Uint8Array, answerBody: Uint8Array) {
  const { device, enclave } = pair();
  const { envelope, pending } = device.seal(name, plaintext);
  const answer = enclave.sealAnswer(enclave.open(envelope), name, answerBody);
  return { device, enclave, request: envelope, pending, answer };
}

const op = fc.stringMatching(/^[a-z][a-z0-9_.-]{0,20}$/);

/** Any change to an envelope: flip a bit, change a byte, insert or delete bytes, truncate, extend. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.nat({ max: 7 }) }),
  fc.record({ kind: fc.constant("xor" as const), at: fc.nat(), value: fc.integer({ min: 1, max: 255 }) }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 800 }),
  }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), count: fc.integer({ min: 1, max: 800 }) }),
  fc.record({ kind: fc.constant("truncate" as const), keep: fc.nat() }),
  fc.record({ kind: fc.constant("extend" as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 800 }) }),
);

type MutationValue = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(envelope: Uint8Array, m: MutationValue): Uint8Array {
  const at = "at" in m ? m.at % envelope.length : 0;
  switch (m.kind) {
    case "flip": {
      const out = Uint8Array.from(envelope);
      out[at] = (out[at] as number) ^ (1 << m.bit);
      return out;
    }
    case "xor": {
      const out = Uint8Array.from(envelope);
      out[at] = (out[at] as number) ^ m.value;
      return out;
    }
    case "insert":
      return Uint8Array.from([...envelope.subarray(0, at), ...m.bytes, ...envelope.subarray(at)]);
    case "delete":
      return Uint8Array.from([...envelope.subarray(0, at), ...envelope.subarray(at + m.count)]);
    case "truncate":
      return envelope.slice(0, m.keep % envelope.length);
    case "extend":
      return Uint8Array.from([...envelope, ...m.bytes]);
  }
}

describe("sealed envelope properties", () => {
  it("opens what was sealed, and the answer to it", () => {
    fc.assert(
      fc.property(op, fc.uint8Array({ maxLength: 2_000 }), fc.uint8Array({ maxLength: 2_000 }), (name, body, value) => {
        const { device, enclave } = pair();
        const { envelope, pending } = device.seal(name, body);
        const opened = enclave.open(envelope);
        expect(opened.op).toBe(name);
        expect(Buffer.from(opened.plaintext).equals(Buffer.from(body))).toBe(true);
        const answer = device.openAnswer(enclave.sealAnswer(opened, name, value), pending);
        expect(answer.op).toBe(name);
        expect(answer.requestCounter).toBe(pending.counter);
        expect(Buffer.from(answer.plaintext).equals(Buffer.from(value))).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it("rejects any single-bit change anywhere in the envelope", () => {
    fc.assert(
      fc.property(op, fc.uint8Array({ maxLength: 128 }), fc.nat(), (name, plaintext, bit) => {
        const { device, enclave } = pair();
        const sealed = device.seal(name, plaintext).envelope;
        const tampered = Uint8Array.from(sealed);
        const index = bit % (sealed.length * 8);
        tampered[index >> 3] = (tampered[index >> 3] as number) ^ (1 << (index & 7));
        expect(rejects(() => enclave.open(tampered))).toBe(true);
        // the genuine envelope still opens: a forgery does not move the window
        expect(enclave.open(sealed).op).toBe(name);
      }),
      { numRuns: RUNS },
    );
  });

  it("rejects any mutation of a request or an answer, and the genuine one still opens", () => {
    fc.assert(
      fc.property(op, fc.uint8Array({ maxLength: 300 }), mutation, fc.boolean(), (name, body, m, onAnswer) => {
        const { device, enclave, request, pending, answer } = exchange(name, body, body);
        if (onAnswer) {
          expect(rejects(() => device.openAnswer(mutate(answer, m), pending))).toBe(true);
          expect(device.openAnswer(answer, pending).op).toBe(name);
        } else {
          const fresh = pair().enclave;
          expect(rejects(() => fresh.open(mutate(request, m)))).toBe(true);
          expect(fresh.open(request).op).toBe(name);
          expect(rejects(() => enclave.open(request))).toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("never throws anything but a typed envelope error on random bytes", () => {
    // random bytes, and random bytes behind a well-formed header of a bucket length (these reach the AEAD)
    const plausible = fc
      .tuple(
        fc.constantFrom(1, 2),
        fc.constantFrom(...PADDING_BUCKETS.slice(0, 3)),
        fc.uint8Array({ minLength: 5, maxLength: 5 }),
        fc.nat({ max: 3 }),
      )
      .chain(([direction, bucket, counter, pendingCounter]) =>
        fc.uint8Array({ minLength: 24 + bucket + 16, maxLength: 24 + bucket + 16 }).map((rest) => {
          const named = direction === 2 ? [0, 0, 0, 0, 0, 0, 0, pendingCounter] : [];
          return { bytes: Uint8Array.from([2, direction, 0, 0, 0, ...counter, ...named, ...rest]), pendingCounter };
        }),
      );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 2_000 }).map((bytes) => ({ bytes, pendingCounter: 0 })),
          plausible,
        ),
        ({ bytes, pendingCounter }) => {
          const { device, enclave } = pair();
          const sent = Array.from({ length: 4 }, (_, i) => device.seal("items.get", Uint8Array.of(i)).pending);
          rejects(() => parseEnvelopeHeader(bytes));
          expect(rejects(() => enclave.open(bytes))).toBe(true);
          expect(rejects(() => device.openAnswer(bytes, sent[pendingCounter]!))).toBe(true);
          expect(device.pendingCount).toBe(4);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("opens each answer only for its own request, whatever order the host delivers them in", () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 2, max: 8 })
          .chain((n) =>
            fc.tuple(fc.constant(n), fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n })),
          ),
        fc.nat(),
        ([n, delivery], shift) => {
          const { device, enclave } = pair();
          const requests = Array.from({ length: n }, (_, i) => device.seal("items.get", Uint8Array.of(i)));
          const answers = requests.map((r, i) =>
            enclave.sealAnswer(enclave.open(r.envelope), "items.get", Uint8Array.of(100 + i)),
          );
          // every answer offered to some other request is refused
          for (const i of delivery) {
            const wrong = (i + 1 + (shift % (n - 1))) % n;
            expect(rejects(() => device.openAnswer(answers[wrong] as Uint8Array, requests[i]!.pending))).toBe(true);
          }
          // then each request, in the host's order, opens its own answer, exactly once
          for (const i of delivery) {
            expect(device.openAnswer(answers[i] as Uint8Array, requests[i]!.pending).plaintext).toEqual(
              Uint8Array.of(100 + i),
            );
            expect(rejects(() => device.openAnswer(answers[i] as Uint8Array, requests[i]!.pending))).toBe(true);
          }
          expect(device.pendingCount).toBe(0);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("rejects every replay", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.nat(), (count, pick) => {
        const { device, enclave } = pair();
        const sent = Array.from({ length: count }, (_, i) => device.seal("items.get", Uint8Array.of(i)).envelope);
        for (const envelope of sent) enclave.open(envelope);
        expect(rejects(() => enclave.open(sent[pick % count] as Uint8Array))).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it("rejects any reordering when the window is strict", () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 2, max: 12 })
          .chain((n) =>
            fc.tuple(fc.constant(n), fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n })),
          ),
        ([n, order]) => {
          fc.pre(order.some((v, i) => v !== i));
          const { device, enclave } = pair(0);
          const sent = Array.from({ length: n }, (_, i) => device.seal("items.put", Uint8Array.of(i)).envelope);
          let rejected = 0;
          for (const i of order) if (rejects(() => enclave.open(sent[i] as Uint8Array))) rejected += 1;
          expect(rejected).toBeGreaterThan(0);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("accepts reordering inside the window and rejects it beyond", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 0, max: 40 }), (windowSize, lag) => {
        const { device, enclave } = pair(windowSize);
        const late = device.seal("items.list", Uint8Array.of(0)).envelope;
        for (let i = 0; i < lag; i += 1) enclave.open(device.seal("items.list", Uint8Array.of(1)).envelope);
        const outside = lag >= windowSize;
        expect(rejects(() => enclave.open(late))).toBe(outside);
      }),
      { numRuns: RUNS },
    );
  });

  it("rejects envelopes sent back to their sender, or opened in another vault, device or session", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("vaultId", "deviceId", "sessionId"),
        fc.string({ minLength: 1, maxLength: 30 }),
        (field, value) => {
          fc.pre(value !== context[field]);
          const { device } = pair();
          const { envelope: sealed, pending } = device.seal("sign", Uint8Array.of(1, 2, 3));
          const reflected = new SealedChannel({
            role: "device",
            keys: { tx: keys.device.tx, rx: keys.device.tx },
            context,
          });
          expect(rejects(() => reflected.openAnswer(sealed, pending))).toBe(true);
          expect(rejects(() => device.openAnswer(sealed, pending))).toBe(true);
          const elsewhere = new SealedChannel({
            role: "enclave",
            keys: keys.enclave,
            context: { ...context, [field]: value },
          });
          expect(rejects(() => elsewhere.open(sealed))).toBe(true);
          // and an answer made in the other context does not open here
          const there = new SealedChannel({
            role: "device",
            keys: keys.device,
            context: { ...context, [field]: value },
          });
          const theirs = there.seal("sign", Uint8Array.of(1, 2, 3));
          const foreign = elsewhere.sealAnswer(elsewhere.open(theirs.envelope), "sign", Uint8Array.of(4));
          expect(rejects(() => device.openAnswer(foreign, pending))).toBe(true);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("replay window: a counter is accepted at most once", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 64 }),
        fc.array(fc.nat({ max: 200 }), { maxLength: 60 }),
        (size, counters) => {
          const window = new ReplayWindow(size);
          const accepted = new Set<number>();
          for (const c of counters) {
            try {
              window.accept(c);
              expect(accepted.has(c)).toBe(false);
              accepted.add(c);
            } catch (err) {
              expect((err as VettidError).code).toBe("ENVELOPE_REPLAYED");
            }
          }
        },
      ),
      { numRuns: RUNS },
    );
  });
});
