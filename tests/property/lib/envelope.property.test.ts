import fc from "fast-check";
import { sodiumReady } from "../../../lib/crypto";
import { type EnvelopeContext, ReplayWindow, SealedChannel, type SessionKeys } from "../../../lib/envelope";
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

function rejects(fn: () => unknown): boolean {
  try {
    fn();
    return false;
  } catch (err) {
    expect(err).toBeInstanceOf(VettidError);
    return true;
  }
}

const op = fc.stringMatching(/^[a-z][a-z0-9_.-]{0,20}$/);

describe("sealed envelope properties", () => {
  it("opens what was sealed", () => {
    fc.assert(
      fc.property(op, fc.uint8Array({ maxLength: 256 }), (name, plaintext) => {
        const { device, enclave } = pair();
        const opened = enclave.open(device.seal(name, plaintext));
        expect(opened.op).toBe(name);
        expect(Buffer.from(opened.plaintext).equals(Buffer.from(plaintext))).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it("rejects any single-bit change anywhere in the envelope", () => {
    fc.assert(
      fc.property(op, fc.uint8Array({ maxLength: 128 }), fc.nat(), (name, plaintext, bit) => {
        const { device, enclave } = pair();
        const sealed = device.seal(name, plaintext);
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

  it("rejects every replay", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.nat(), (count, pick) => {
        const { device, enclave } = pair();
        const sent = Array.from({ length: count }, (_, i) => device.seal("items.get", Uint8Array.of(i)));
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
          const sent = Array.from({ length: n }, (_, i) => device.seal("items.put", Uint8Array.of(i)));
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
        const late = device.seal("items.list", Uint8Array.of(0));
        for (let i = 0; i < lag; i += 1) enclave.open(device.seal("items.list", Uint8Array.of(1)));
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
          const sealed = device.seal("sign", Uint8Array.of(1, 2, 3));
          const reflected = new SealedChannel({
            role: "device",
            keys: { tx: keys.device.tx, rx: keys.device.tx },
            context,
          });
          expect(rejects(() => reflected.open(sealed))).toBe(true);
          const elsewhere = new SealedChannel({
            role: "enclave",
            keys: keys.enclave,
            context: { ...context, [field]: value },
          });
          expect(rejects(() => elsewhere.open(sealed))).toBe(true);
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
