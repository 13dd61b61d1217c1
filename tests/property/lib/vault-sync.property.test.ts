/**
 * Properties of device sync's change events and their chain (lib/vault-sync): every
 * valid event round-trips, the parser of untrusted bytes refuses anything else with
 * `SYNC_INVALID` only and accepts nothing but canonical bytes, and a chain verifies
 * only as it was built.
 */
import fc from "fast-check";
import { plainDecoder, plainEncoder } from "../../../lib/cbor";
import { sodiumReady } from "../../../lib/crypto";
import { isVettidError } from "../../../lib/errors";
import {
  type ChangeEvent,
  encodeChangeEvent,
  MAX_SYNC_EVENT_BYTES,
  parseChangeEvent,
  SYNC_DIGEST_BYTES,
  syncChainStep,
  syncGenesis,
  verifyChangeRun,
} from "../../../lib/vault-sync";
import { MAX_SYNC_TIME_MS } from "../../../lib/vault-sync/constants";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/** An event with its byte fields as hex, so events compare by content. */
function plain(e: ChangeEvent): Record<string, unknown> {
  return e.kind === "item.put" ? { ...e, prev: hex(e.prev), value: hex(e.value) } : { ...e, prev: hex(e.prev) };
}

/** What parsing `bytes` gives: the event, or what it threw. */
function parseOutcome(bytes: Uint8Array): { event: ChangeEvent } | { error: unknown } {
  try {
    return { event: parseChangeEvent(bytes) };
  } catch (error) {
    return { error };
  }
}

/** What `run` threw (undefined when it did not). */
function thrown(run: () => unknown): unknown {
  try {
    run();
    return undefined;
  } catch (error) {
    return error;
  }
}

/** Integers at the edges of CBOR's shortest forms, where an encoder is most likely wrong. */
const EDGES = [1, 23, 24, 255, 256, 65_535, 65_536, 0xffff_ffff, 0x1_0000_0000, Number.MAX_SAFE_INTEGER];
const positive = fc.oneof(fc.constantFrom(...EDGES), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }));
const time = fc.oneof(
  fc.constantFrom(0, ...EDGES.filter((n) => n <= MAX_SYNC_TIME_MS), MAX_SYNC_TIME_MS),
  fc.integer({ min: 0, max: MAX_SYNC_TIME_MS }),
);

/** One code point of each UTF-8 length (no lone surrogates). */
const codePoint = fc.oneof(
  fc.integer({ min: 0x00, max: 0x7f }),
  fc.integer({ min: 0x80, max: 0x7ff }),
  fc.oneof(fc.integer({ min: 0x800, max: 0xd7ff }), fc.integer({ min: 0xe000, max: 0xffff })),
  fc.integer({ min: 0x1_0000, max: 0x10_ffff }),
);

/** A well-formed name of 1 to 256 UTF-16 code units (cut at a code point, never inside a pair). */
const name = fc.array(codePoint, { minLength: 1, maxLength: 256 }).map((points) => {
  let out = "";
  for (const p of points) {
    const c = String.fromCodePoint(p);
    if (out.length + c.length > 256) break;
    out += c;
  }
  return out;
});

const digest = fc.uint8Array({ minLength: SYNC_DIGEST_BYTES, maxLength: SYNC_DIGEST_BYTES });
const itemType = fc.constantFrom("login" as const, "secret" as const, "note" as const, "profile" as const);

/** What an event says besides its `seq` and `prev`. */
type EventBody =
  | {
      kind: "item.put";
      at: number;
      name: string;
      type: "login" | "secret" | "note" | "profile";
      version: number;
      value: Uint8Array;
    }
  | { kind: "item.deleted"; at: number; name: string };

const body: fc.Arbitrary<EventBody> = fc.oneof(
  fc.record({
    kind: fc.constant("item.put" as const),
    at: time,
    name,
    type: itemType,
    version: positive,
    value: fc.uint8Array({ maxLength: 2048 }),
  }),
  fc.record({ kind: fc.constant("item.deleted" as const), at: time, name }),
);

const eventOf = (b: EventBody, seq: number, prev: Uint8Array): ChangeEvent => ({ ...b, seq, prev }) as ChangeEvent;

/** Any event of version 1. */
const event: fc.Arbitrary<ChangeEvent> = fc
  .tuple(body, positive, digest)
  .map(([b, seq, prev]) => eventOf(b, seq, prev));

/** A vault id as the sync code is given them. */
const vaultId = fc.stringMatching(/^v_[A-Za-z0-9]{1,40}$/);

/** `value` as plain CBOR, or undefined when cbor-x cannot encode it. */
function cborOf(value: unknown): Uint8Array | undefined {
  try {
    return new Uint8Array(plainEncoder.encode(value));
  } catch {
    return undefined;
  }
}

/** Random CBOR of any shape. */
const anyCbor = fc
  .anything({
    withMap: true,
    withSet: true,
    withBigInt: true,
    withDate: true,
    withTypedArray: true,
    withBoxedValues: true,
    withNullPrototype: true,
    withSparseArray: true,
  })
  .map(cborOf)
  .filter((b): b is Uint8Array => b !== undefined);

/** Values a field of an event map may be given instead of its own. */
const stray = fc.oneof(
  fc.integer(),
  fc.constantFrom(0, -1, 0.5, Number.NaN, 2 ** 40, 2 ** 53, -(2 ** 40)),
  fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n - 1n }),
  fc.double(),
  fc.string(),
  fc.constantFrom("item.put", "item.deleted", "login", "note", "secret", "profile", "item.PUT", ""),
  fc.uint8Array({ maxLength: 40 }),
  digest,
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.array(fc.integer(), { maxLength: 3 }),
);
const FIELDS = ["at", "seq", "kind", "name", "prev", "type", "value", "version"];

/** Edits of a valid event's map: CBOR close to an event, which reaches the parser's later checks. */
const mapEdit = fc.oneof(
  fc.record({ op: fc.constant("set" as const), key: fc.oneof(fc.constantFrom(...FIELDS), fc.string()), value: stray }),
  fc.record({ op: fc.constant("drop" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("swap" as const), a: fc.nat(), b: fc.nat() }),
);

const nearEventCbor = fc
  .tuple(event, fc.array(mapEdit, { minLength: 1, maxLength: 4 }))
  .map(([e, edits]) => {
    const entries: [unknown, unknown][] = [...(plainDecoder.decode(encodeChangeEvent(e)) as Map<unknown, unknown>)];
    for (const edit of edits) {
      if (edit.op === "set") {
        const i = entries.findIndex(([k]) => k === edit.key);
        if (i >= 0) entries[i] = [edit.key, edit.value];
        else entries.push([edit.key, edit.value]);
      } else if (edit.op === "drop" && entries.length > 0) {
        entries.splice(edit.at % entries.length, 1);
      } else if (edit.op === "swap" && entries.length > 0) {
        const a = edit.a % entries.length;
        const b = edit.b % entries.length;
        [entries[a], entries[b]] = [entries[b]!, entries[a]!];
      }
    }
    return cborOf(new Map(entries));
  })
  .filter((b): b is Uint8Array => b !== undefined);

/** The parser's contract for untrusted bytes: an event whose encoding is exactly them, or `SYNC_INVALID`. */
function expectCanonicalOrRefused(bytes: Uint8Array): ChangeEvent | undefined {
  const outcome = parseOutcome(bytes);
  if ("error" in outcome) {
    expect(isVettidError(outcome.error, "SYNC_INVALID")).toBe(true);
    return undefined;
  }
  expect(hex(encodeChangeEvent(outcome.event))).toBe(hex(bytes));
  return outcome.event;
}

/** A chain built as the enclave builds it: events `firstSeq …` from `start`. */
function buildChain(id: string, start: Uint8Array, firstSeq: number, bodies: EventBody[]) {
  const events: Uint8Array[] = [];
  const digests: Uint8Array[] = [];
  let d = start;
  for (const [i, b] of bodies.entries()) {
    const bytes = encodeChangeEvent(eventOf(b, firstSeq + i, d));
    d = syncChainStep(id, d, bytes);
    events.push(bytes);
    digests.push(d);
  }
  return { events, digests };
}

/** Small events, so chains stay cheap. */
const smallBody: fc.Arbitrary<EventBody> = fc.oneof(
  fc.record({
    kind: fc.constant("item.put" as const),
    at: time,
    name: fc.string({ minLength: 1, maxLength: 12 }),
    type: itemType,
    version: positive,
    value: fc.uint8Array({ maxLength: 64 }),
  }),
  fc.record({ kind: fc.constant("item.deleted" as const), at: time, name: fc.string({ minLength: 1, maxLength: 12 }) }),
);

/** A chain's vault, where it starts (digest 0 at seq 1, or anywhere) and what its events say. */
const chain = fc.record({
  vaultId,
  from: fc.oneof(
    fc.constant({ genesis: true as const }),
    fc.record({
      genesis: fc.constant(false as const),
      start: digest,
      firstSeq: fc.integer({ min: 1, max: 1_000_000 }),
    }),
  ),
  bodies: fc.array(smallBody, { minLength: 1, maxLength: 20 }),
});

function startOf(c: {
  vaultId: string;
  from: { genesis: true } | { genesis: false; start: Uint8Array; firstSeq: number };
}) {
  return c.from.genesis
    ? { start: syncGenesis(c.vaultId), firstSeq: 1 }
    : { start: c.from.start, firstSeq: c.from.firstSeq };
}

describe("change events (properties)", () => {
  beforeAll(async () => {
    await sodiumReady();
  });

  it("parses the encoding of any valid event back to the same event", () => {
    fc.assert(
      fc.property(event, (e) => {
        // Act
        const bytes = encodeChangeEvent(e);
        const back = parseChangeEvent(bytes);

        // Assess
        expect(back.prev).toBeInstanceOf(Uint8Array);
        if (back.kind === "item.put") expect(back.value).toBeInstanceOf(Uint8Array);
        expect(plain(back)).toStrictEqual(plain(e));
        expect(hex(encodeChangeEvent(back))).toBe(hex(bytes));
      }),
      { numRuns: 200 },
    );
  });

  it("either accepts arbitrary bytes as exactly an event's encoding or refuses them with SYNC_INVALID", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        expectCanonicalOrRefused(bytes);
      }),
      { numRuns: 1000 },
    );
  });

  it("either accepts random CBOR as exactly an event's encoding or refuses it with SYNC_INVALID", () => {
    fc.assert(
      fc.property(anyCbor, (bytes) => {
        expectCanonicalOrRefused(bytes);
      }),
      { numRuns: 500 },
    );
  });

  it("either accepts CBOR maps close to an event as exactly an event's encoding or refuses them with SYNC_INVALID", () => {
    fc.assert(
      fc.property(nearEventCbor, (bytes) => {
        expectCanonicalOrRefused(bytes);
      }),
      { numRuns: 500 },
    );
  });

  it("accepts an event with one byte flipped, dropped or inserted only when the new bytes are that event's encoding", () => {
    const mutation = fc.oneof(
      fc.record({ op: fc.constant("flip" as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
      fc.record({ op: fc.constant("drop" as const), at: fc.nat() }),
      fc.record({ op: fc.constant("insert" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    );
    fc.assert(
      fc.property(event, mutation, (e, m) => {
        // Prepare
        const bytes = encodeChangeEvent(e);
        let mutated: Uint8Array;
        if (m.op === "flip") {
          mutated = bytes.slice();
          const at = m.at % bytes.length;
          mutated[at] = mutated[at]! ^ m.mask;
        } else if (m.op === "drop") {
          const at = m.at % bytes.length;
          mutated = Uint8Array.of(...bytes.subarray(0, at), ...bytes.subarray(at + 1));
        } else {
          const at = m.at % (bytes.length + 1);
          mutated = Uint8Array.of(...bytes.subarray(0, at), m.byte, ...bytes.subarray(at));
        }

        // Act
        const accepted = expectCanonicalOrRefused(mutated);

        // Assess
        if (accepted !== undefined) expect(plain(accepted)).not.toStrictEqual(plain(e));
      }),
      { numRuns: 500 },
    );
  });

  it("refuses input over the largest event size with SYNC_INVALID before decoding it", () => {
    // Prepare: CBOR-shaped (an event map whose value is too large) or arbitrary bytes past the limit
    const oversize = fc.oneof(
      fc.tuple(event, fc.integer({ min: MAX_SYNC_EVENT_BYTES, max: MAX_SYNC_EVENT_BYTES + 4096 })).map(([e, size]) => {
        const big = (n: number) => (n > 0xffff_ffff ? BigInt(n) : n);
        const map = new Map<string, unknown>([
          ["at", big(e.at)],
          ["seq", big(e.seq)],
          ["kind", "item.put"],
          ["name", e.name],
          ["prev", e.prev],
          ["type", "note"],
          ["value", new Uint8Array(size)],
          ["version", 1],
        ]);
        return new Uint8Array(plainEncoder.encode(map));
      }),
      fc
        .tuple(
          fc.integer({ min: MAX_SYNC_EVENT_BYTES + 1, max: MAX_SYNC_EVENT_BYTES + 70_000 }),
          fc.uint8Array({ minLength: 1, maxLength: 64 }),
        )
        .map(([size, pattern]) => {
          const out = new Uint8Array(size);
          for (let i = 0; i < size; i += pattern.length) out.set(pattern.subarray(0, size - i), i);
          return out;
        }),
    );
    const decode = jest.spyOn(plainDecoder, "decode");
    try {
      parseChangeEvent(
        encodeChangeEvent({ seq: 1, at: 0, kind: "item.deleted", name: "wifi", prev: new Uint8Array(32) }),
      );
      expect(decode).toHaveBeenCalledTimes(1);
      decode.mockClear();

      fc.assert(
        fc.property(oversize, (bytes) => {
          // Act
          decode.mockClear();
          const error = thrown(() => parseChangeEvent(bytes));

          // Assess
          expect(bytes.length).toBeGreaterThan(MAX_SYNC_EVENT_BYTES);
          expect(isVettidError(error, "SYNC_INVALID")).toBe(true);
          expect(decode).not.toHaveBeenCalled();
        }),
        { numRuns: 100 },
      );
    } finally {
      decode.mockRestore();
    }
  });
});

describe("the change chain (properties)", () => {
  beforeAll(async () => {
    await sodiumReady();
  });

  it("verifies any chain built correctly and ends in its last digest", () => {
    fc.assert(
      fc.property(chain, (c) => {
        // Prepare
        const { start, firstSeq } = startOf(c);
        const built = buildChain(c.vaultId, start, firstSeq, c.bodies);

        // Act
        const run = verifyChangeRun(c.vaultId, start, firstSeq, built.events);

        // Assess
        expect(hex(run.end)).toBe(hex(built.digests.at(-1)!));
        expect(run.digests.map(hex)).toEqual(built.digests.map(hex));
        expect(run.events.map((e) => e.seq)).toEqual(c.bodies.map((_, i) => firstSeq + i));
        expect(run.events.map((e) => hex(encodeChangeEvent(e)))).toEqual(built.events.map(hex));
      }),
      { numRuns: 100 },
    );
  });

  it("refuses a chain with two events swapped with SYNC_INVALID", () => {
    fc.assert(
      fc.property(
        chain.filter((c) => c.bodies.length >= 2),
        fc.nat(),
        fc.nat(),
        (c, a, b) => {
          // Prepare
          const { start, firstSeq } = startOf(c);
          const { events } = buildChain(c.vaultId, start, firstSeq, c.bodies);
          const i = a % events.length;
          const j = (i + 1 + (b % (events.length - 1))) % events.length;
          [events[i], events[j]] = [events[j]!, events[i]!];

          // Act
          const error = thrown(() => verifyChangeRun(c.vaultId, start, firstSeq, events));

          // Assess
          expect(isVettidError(error, "SYNC_INVALID")).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("refuses a chain with an event dropped before its last with SYNC_INVALID", () => {
    fc.assert(
      fc.property(
        chain.filter((c) => c.bodies.length >= 2),
        fc.nat(),
        (c, a) => {
          // Prepare
          const { start, firstSeq } = startOf(c);
          const { events } = buildChain(c.vaultId, start, firstSeq, c.bodies);
          events.splice(a % (events.length - 1), 1);

          // Act
          const error = thrown(() => verifyChangeRun(c.vaultId, start, firstSeq, events));

          // Assess
          expect(isVettidError(error, "SYNC_INVALID")).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("refuses another vault's chain from its digest 0 with SYNC_INVALID, and never ends another vault's run in the same digest", () => {
    fc.assert(
      fc.property(vaultId, vaultId, fc.array(smallBody, { minLength: 1, maxLength: 20 }), (id, other, bodies) => {
        fc.pre(id !== other);
        // Prepare
        const built = buildChain(id, syncGenesis(id), 1, bodies);

        // Act
        const fromOtherGenesis = thrown(() => verifyChangeRun(other, syncGenesis(other), 1, built.events));
        const fromSameStart = runOutcome(() => verifyChangeRun(other, syncGenesis(id), 1, built.events));

        // Assess
        expect(isVettidError(fromOtherGenesis, "SYNC_INVALID")).toBe(true);
        if ("error" in fromSameStart) expect(isVettidError(fromSameStart.error, "SYNC_INVALID")).toBe(true);
        else {
          expect(bodies).toHaveLength(1);
          expect(sameBytes(fromSameStart.end, built.digests.at(-1)!)).toBe(false);
        }
      }),
      { numRuns: 100 },
    );
  });
});

/** What a verification gives: its end digest, or what it threw. */
function runOutcome(run: () => { end: Uint8Array }): { end: Uint8Array } | { error: unknown } {
  try {
    return { end: run().end };
  } catch (error) {
    return { error };
  }
}
