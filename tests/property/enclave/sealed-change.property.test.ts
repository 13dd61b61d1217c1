/**
 * Properties of the change log's sealed events and of the reader over it
 * (vault-enclave/sync): a sealed event opens only as the vault, key and sequence
 * number it was sealed for, nothing a store holds makes either function throw, and
 * whatever orphans, repeats and garbage a log holds, a reader gets exactly the
 * committed chain.
 */
import fc from "fast-check";
import { sodiumReady } from "../../../lib/crypto";
import {
  type ChangeEvent,
  encodeChangeEvent,
  syncChainStep,
  syncGenesis,
  verifyChangeRun,
} from "../../../lib/vault-sync";
import type { ChangeHead } from "../../../vault-enclave/state";
import type { ChangeLog } from "../../../vault-enclave/sync/change-log";
import { readChanges } from "../../../vault-enclave/sync/read-changes";
import {
  changeKey,
  MAX_SEALED_CHANGE_BYTES,
  openChange,
  sealChange,
  sealedChangeSeq,
} from "../../../vault-enclave/sync/sealed-change";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The layout of a sealed event (sealed-change.ts): "VTSC" ‖ version ‖ u64 seq ‖ nonce (24) ‖ ciphertext. */
const MAGIC = [0x56, 0x54, 0x53, 0x43];
const SEQ_AT = 5;
const HEADER_BYTES = 13;
const SMALLEST_SEALED = HEADER_BYTES + 24 + 256 + 16;

/** What `run` gives, or what it threw. */
function outcome<T>(run: () => T): { value: T } | { error: unknown } {
  try {
    return { value: run() };
  } catch (error) {
    return { error };
  }
}

const vaultId = fc.stringMatching(/^v_[A-Za-z0-9]{1,40}$/);
const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const seq = fc.oneof(
  fc.constantFrom(1, 255, 256, 0xffff_ffff, 0x1_0000_0000, Number.MAX_SAFE_INTEGER),
  fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
);
/** Event bytes: any content (sealing does not parse it), sizes across several pad blocks. */
const eventBytes = fc.uint8Array({ minLength: 1, maxLength: 5000 });

/** A change key derived as the runtime derives it, from a random root key and identity key. */
const derivedKey = fc
  .tuple(key32, fc.uint8Array({ minLength: 64, maxLength: 64 }))
  .map(([root, identity]) => ({ root, identity }));

describe("sealed change events (properties)", () => {
  beforeAll(async () => {
    await sodiumReady();
  });

  it("opens any sealed event as its vault, at its sequence number, to the bytes that were sealed", () => {
    fc.assert(
      fc.property(vaultId, seq, eventBytes, derivedKey, fc.nat({ max: 16 }), (id, n, event, k, offset) => {
        // Prepare
        const key = changeKey(k.root, id, k.identity);

        // Act
        const stored = sealChange(id, n, event, key);
        const inBuffer = new Uint8Array(offset + stored.length);
        inBuffer.set(stored, offset);
        const view = inBuffer.subarray(offset);

        // Assess
        expect(sealedChangeSeq(stored)).toBe(n);
        expect(hex(openChange(id, stored, key)!)).toBe(hex(event));
        expect(sealedChangeSeq(view)).toBe(n);
        expect(hex(openChange(id, view, key)!)).toBe(hex(event));
        expect(stored.length).toBeLessThanOrEqual(MAX_SEALED_CHANGE_BYTES);
      }),
      { numRuns: 100 },
    );
  });

  it("opens a sealed event to nothing under another vault id, another key, or another vault's change key", () => {
    fc.assert(
      fc.property(vaultId, vaultId, seq, eventBytes, derivedKey, key32, (id, other, n, event, k, otherKey) => {
        fc.pre(id !== other);
        // Prepare
        const key = changeKey(k.root, id, k.identity);
        fc.pre(!sameBytes(key, otherKey));
        const stored = sealChange(id, n, event, key);

        // Act
        const underOtherVault = outcome(() => openChange(other, stored, key));
        const underOtherKey = outcome(() => openChange(id, stored, otherKey));
        const underOtherVaultsKey = outcome(() => openChange(other, stored, changeKey(k.root, other, k.identity)));

        // Assess
        expect(underOtherVault).toEqual({ value: undefined });
        expect(underOtherKey).toEqual({ value: undefined });
        expect(underOtherVaultsKey).toEqual({ value: undefined });
      }),
      { numRuns: 100 },
    );
  });

  it("opens a sealed event with any one byte flipped (header, nonce or ciphertext) to nothing, without throwing", () => {
    fc.assert(
      fc.property(
        vaultId,
        seq,
        eventBytes,
        key32,
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (id, n, event, key, at, mask) => {
          // Prepare
          const stored = sealChange(id, n, event, key);
          const i = at % stored.length;
          const flipped = stored.slice();
          flipped[i] = flipped[i]! ^ mask;

          // Act
          const opened = outcome(() => openChange(id, flipped, key));
          const claimed = outcome(() => sealedChangeSeq(flipped));

          // Assess
          expect(opened).toEqual({ value: undefined });
          if (i < SEQ_AT) expect(claimed).toEqual({ value: undefined });
          else if (i < HEADER_BYTES) expect(claimed).not.toEqual({ value: n });
          else expect(claimed).toEqual({ value: n });
        },
      ),
      { numRuns: 300 },
    );
  });

  it("opens a sealed event cut short or extended to nothing, without throwing", () => {
    fc.assert(
      fc.property(
        vaultId,
        seq,
        eventBytes,
        key32,
        fc.oneof(fc.integer({ min: -300, max: -1 }), fc.integer({ min: 1, max: 300 })),
        (id, n, event, key, by) => {
          // Prepare
          const stored = sealChange(id, n, event, key);
          const changed =
            by < 0
              ? stored.subarray(0, Math.max(0, stored.length + by))
              : Uint8Array.of(...stored, ...new Uint8Array(by));

          // Act
          const opened = outcome(() => openChange(id, changed, key));

          // Assess
          expect(opened).toEqual({ value: undefined });
        },
      ),
      { numRuns: 100 },
    );
  });

  it("never throws on arbitrary stored bytes, reads a sequence number only from a well-formed layout, and opens them to nothing", () => {
    // Prepare: bytes of any kind, and bytes behind a valid header (which reach the decryption)
    const header = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((n) => {
      const out = new Uint8Array(HEADER_BYTES);
      out.set(MAGIC, 0);
      out[4] = 1;
      new DataView(out.buffer).setBigUint64(SEQ_AT, n);
      return out;
    });
    const stored = fc.oneof(
      fc.uint8Array({ maxLength: 2000 }),
      fc.tuple(header, fc.uint8Array({ maxLength: 2000 })).map(([h, rest]) => Uint8Array.of(...h, ...rest)),
    );
    fc.assert(
      fc.property(stored, vaultId, key32, (bytes, id, key) => {
        // Act
        const claimed = outcome(() => sealedChangeSeq(bytes));
        const opened = outcome(() => openChange(id, bytes, key));

        // Assess
        const wellFormed = bytes.length >= SMALLEST_SEALED && MAGIC.every((b, i) => bytes[i] === b) && bytes[4] === 1;
        const n = wellFormed ? new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(SEQ_AT) : 0n;
        const expected = n >= 1n && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : undefined;
        expect(claimed).toEqual({ value: expected });
        expect(opened).toEqual({ value: undefined });
      }),
      { numRuns: 500 },
    );
  });
});

/** A change log in the test: the first message of a vault at or after a position. */
class TestLog implements ChangeLog {
  readonly messages: { position: number; vaultId: string; data: Uint8Array }[] = [];
  private last = 0;

  async append(vaultId: string, data: Uint8Array): Promise<number> {
    this.last += 1;
    this.messages.push({ position: this.last, vaultId, data });
    return this.last;
  }

  async next(vaultId: string, from: number): Promise<{ position: number; data: Uint8Array } | undefined> {
    const found = this.messages.find((m) => m.vaultId === vaultId && m.position >= from);
    return found === undefined ? undefined : { position: found.position, data: found.data.slice() };
  }
}

/** What an event says besides its `seq` and `prev` (small, so chains stay cheap). */
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
    at: fc.integer({ min: 0, max: 2 ** 45 }),
    name: fc.string({ minLength: 1, maxLength: 16 }),
    type: fc.constantFrom("login" as const, "secret" as const, "note" as const, "profile" as const),
    version: fc.integer({ min: 1, max: 1000 }),
    value: fc.uint8Array({ maxLength: 300 }),
  }),
  fc.record({
    kind: fc.constant("item.deleted" as const),
    at: fc.integer({ min: 0, max: 2 ** 45 }),
    name: fc.string({ minLength: 1, maxLength: 16 }),
  }),
);

const encodeAt = (b: EventBody, n: number, prev: Uint8Array) =>
  encodeChangeEvent({ ...b, seq: n, prev } as ChangeEvent);

/**
 * What the log holds besides the committed chain, each with where it goes (`u`, a
 * fraction of the allowed range, in thousandths):
 * - an orphan: a write of event `k` that failed, made from the committed `k − 1`
 *   (`prev` digest_{k−1}, other content), stored after the committed `k − 1`;
 * - a repeat of a committed message, as stored or sealed again;
 * - garbage: random bytes, an event sealed under another key or for another vault,
 *   sealed bytes that are no event, a committed event sealed at another sequence
 *   number, an event off the chain (random `prev`).
 */
const extra = fc.oneof(
  fc.record({ what: fc.constant("orphan" as const), k: fc.nat(), body, u: fc.integer({ min: 1, max: 1000 }) }),
  fc.record({
    what: fc.constant("repeat" as const),
    k: fc.nat(),
    reseal: fc.boolean(),
    u: fc.integer({ min: 0, max: 1000 }),
  }),
  fc.record({
    what: fc.constant("garbage" as const),
    kind: fc.constantFrom("bytes", "otherKey", "otherVault", "notEvent", "wrongSeq", "offChain"),
    k: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 400 }),
    body,
    prev: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    u: fc.integer({ min: 0, max: 1000 }),
  }),
);

/** A vault's log: its committed chain, what else the log holds, and other vaults' messages in between. */
const scenario = fc.record({
  vaultId,
  key: key32,
  otherKey: key32,
  bodies: fc.array(body, { minLength: 1, maxLength: 15 }),
  extras: fc.array(extra, { maxLength: 25 }),
  /** Messages of other vaults before each of this vault's (a shared stream's gaps in positions). */
  gaps: fc.array(fc.nat({ max: 2 }), { minLength: 64, maxLength: 64 }),
  from: fc.nat(),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

/** Builds the log of a scenario: the committed events' bytes, the digests (digests[0] = digest 0) and the head. */
async function build(s: Scenario) {
  const id = s.vaultId;
  const otherVault = `${id}x`;
  const n = s.bodies.length;
  const digests = [syncGenesis(id)];
  const committed: Uint8Array[] = [];
  for (const [i, b] of s.bodies.entries()) {
    const bytes = encodeAt(b, i + 1, digests[i]!);
    committed.push(bytes);
    digests.push(syncChainStep(id, digests[i]!, bytes));
  }

  // Where each message goes: committed event i at i, an orphan of k in (k − 1, n + 1], anything else in [0, n + 1].
  const placed: { at: number; data: Uint8Array; committed?: number }[] = committed.map((bytes, i) => ({
    at: i + 1,
    data: sealChange(id, i + 1, bytes, s.key),
    committed: i + 1,
  }));
  const anywhere = (u: number) => (u / 1000) * (n + 1);
  for (const x of s.extras) {
    if (x.what === "orphan") {
      const k = (x.k % (n + 1)) + 1;
      const bytes = encodeAt(x.body, k, digests[k - 1]!);
      placed.push({ at: k - 1 + (x.u / 1000) * (n + 2 - k), data: sealChange(id, k, bytes, s.key) });
    } else if (x.what === "repeat") {
      const k = x.k % n;
      placed.push({
        at: anywhere(x.u),
        data: x.reseal ? sealChange(id, k + 1, committed[k]!, s.key) : placed[k]!.data,
      });
    } else {
      const k = (x.k % (n + 1)) + 1;
      const m = Math.min(k, n);
      const event = encodeAt(x.body, k, digests[k - 1]!);
      const data = {
        bytes: () => x.bytes,
        otherKey: () => sealChange(id, k, event, s.otherKey),
        otherVault: () => sealChange(otherVault, k, event, s.key),
        notEvent: () => sealChange(id, k, x.bytes, s.key),
        wrongSeq: () => sealChange(id, m === 1 ? 2 : m - 1, committed[m - 1]!, s.key),
        offChain: () => sealChange(id, k, encodeAt(x.body, k, x.prev), s.key),
      }[x.kind]();
      placed.push({ at: anywhere(x.u), data });
    }
  }
  placed.sort((a, b) => a.at - b.at); // stable: a committed event stays before what ties with it

  const log = new TestLog();
  let headPosition = 0;
  for (const [i, p] of placed.entries()) {
    for (let g = 0; g < s.gaps[i % s.gaps.length]!; g += 1) {
      await log.append(otherVault, sealChange(otherVault, g + 1, committed[0]!, s.key));
    }
    const position = await log.append(id, p.data);
    if (p.committed === n) headPosition = position;
  }
  const head: ChangeHead = { nextSeq: n + 1, head: digests[n]!, position: headPosition };
  return { log, committed, digests, head };
}

/** Reads every committed event from `fromSeq`, page after page, handing back each page's cursor. */
async function readAll(s: Scenario, built: Awaited<ReturnType<typeof build>>, fromSeq: number, limit: number) {
  const events: Uint8Array[] = [];
  let want = fromSeq;
  let cursor: number | undefined;
  for (let pages = 0; want <= built.committed.length; pages += 1) {
    if (pages > built.committed.length) throw new Error("the reader did not progress");
    const page = await readChanges({
      vaultId: s.vaultId,
      key: s.key,
      head: built.head,
      log: built.log,
      fromSeq: want,
      cursor,
      limit,
    });
    expect(page.events.length).toBeGreaterThan(0);
    expect(page.events.length).toBeLessThanOrEqual(limit);
    expect(hex(page.before)).toBe(hex(built.digests[want - 1]!));
    events.push(...page.events);
    want += page.events.length;
    cursor = page.cursor;
  }
  return { events, cursor };
}

describe("reading committed changes from a log that holds orphans, repeats and garbage (properties)", () => {
  beforeAll(async () => {
    await sodiumReady();
  });

  it("gives exactly the committed events from any sequence number, in order, reading pages of 64", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        // Prepare
        const built = await build(s);
        const fromSeq = (s.from % built.committed.length) + 1;

        // Act
        const read = await readAll(s, built, fromSeq, 64);
        const after = await readChanges({
          vaultId: s.vaultId,
          key: s.key,
          head: built.head,
          log: built.log,
          fromSeq: built.head.nextSeq,
          cursor: read.cursor,
          limit: 64,
        });

        // Assess
        expect(read.events.map(hex)).toEqual(built.committed.slice(fromSeq - 1).map(hex));
        const run = verifyChangeRun(s.vaultId, built.digests[fromSeq - 1]!, fromSeq, read.events);
        expect(hex(run.end)).toBe(hex(built.head.head));
        expect(after.events).toEqual([]);
        expect(hex(after.before)).toBe(hex(built.head.head));
      }),
      { numRuns: 30 },
    );
  });

  it("gives exactly the committed events however small the pages, going on from each page's cursor", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, fc.integer({ min: 1, max: 4 }), async (s, limit) => {
        // Prepare
        const built = await build(s);
        const fromSeq = (s.from % built.committed.length) + 1;

        // Act
        const read = await readAll(s, built, fromSeq, limit);

        // Assess
        expect(read.events.map(hex)).toEqual(built.committed.slice(fromSeq - 1).map(hex));
      }),
      { numRuns: 30 },
    );
  });
});
