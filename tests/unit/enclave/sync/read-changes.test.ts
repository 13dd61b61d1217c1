/**
 * The change log's reader against a log holding two histories (vault-enclave/sync,
 * decision 0073): two events at one sequence number, each followed by an event at the
 * next. Only a state and a witness record rewound together (the host with the NATS
 * operators) let a runtime write that; the reader refuses it rather than answer events
 * of one branch followed by events of the other.
 */
import { sodiumReady } from "../../../../lib/crypto";
import { encodeChangeEvent, syncChainStep, syncGenesis } from "../../../../lib/vault-sync";
import type { ChangeLog } from "../../../../vault-enclave/sync/change-log";
import { readChanges } from "../../../../vault-enclave/sync/read-changes";
import { sealChange } from "../../../../vault-enclave/sync/sealed-change";
import { codeOf } from "../runtime/harness";

const VAULT = `vlt_${"4e".repeat(16)}`;
const KEY = new Uint8Array(32).fill(9);

/** An event `seq` putting `name`, after `prev`: its bytes and the digest after it. */
function event(seq: number, name: string, prev: Uint8Array) {
  const bytes = encodeChangeEvent({
    seq,
    at: 1_796_119_200_000 + seq,
    kind: "item.put",
    name,
    type: "note",
    version: 1,
    value: new Uint8Array(0),
    prev,
  });
  return { seq, bytes, digest: syncChainStep(VAULT, prev, bytes) };
}

/** A log holding `events` in this order, positions from 1. */
function logOf(events: ReturnType<typeof event>[]): ChangeLog {
  const stored = events.map((e, i) => ({ position: i + 1, data: sealChange(VAULT, e.seq, e.bytes, KEY) }));
  return {
    append: async () => {
      throw new Error("read only");
    },
    next: async (_vault, from) => stored.find((m) => m.position >= from),
  };
}

describe("reading a change log that holds two histories", () => {
  beforeAll(async () => {
    await sodiumReady();
  });

  it("answers the branch the head names when it is read first, and refuses the fork rather than mix the two when it is not", async () => {
    // Prepare: 1, then 2A → 3A and 2B → 3B
    const one = event(1, "one", syncGenesis(VAULT));
    const twoA = event(2, "two-a", one.digest);
    const threeA = event(3, "three-a", twoA.digest);
    const twoB = event(2, "two-b", one.digest);
    const threeB = event(3, "three-b", twoB.digest);
    const log = logOf([one, twoA, threeA, twoB, threeB]);
    const read = (headDigest: Uint8Array) =>
      readChanges({
        vaultId: VAULT,
        key: KEY,
        head: { nextSeq: 4, head: headDigest, position: 5 },
        log,
        fromSeq: 1,
        limit: 64,
      });

    // Act
    const headOnB = await codeOf(read(threeB.digest));
    const headOnA = await read(threeA.digest);

    // Assess: branch A read whole before B shows is the head's chain; head on B, A's
    // events were taken first and B's 3 does not follow them: refused
    expect(headOnB).toBe("SYNC_INVALID");
    expect(headOnA.events.map((b) => Buffer.from(b).toString("hex"))).toEqual(
      [one, twoA, threeA].map((e) => Buffer.from(e.bytes).toString("hex")),
    );
  });

  it("answers the one history when the other branch stops without a next event (a failed write)", async () => {
    // Prepare: 1, 2A (an orphan: no 3 follows it), 2B → 3B
    const one = event(1, "one", syncGenesis(VAULT));
    const twoA = event(2, "two-a", one.digest);
    const twoB = event(2, "two-b", one.digest);
    const threeB = event(3, "three-b", twoB.digest);

    // Act
    const page = await readChanges({
      vaultId: VAULT,
      key: KEY,
      head: { nextSeq: 4, head: threeB.digest, position: 4 },
      log: logOf([one, twoA, twoB, threeB]),
      fromSeq: 1,
      limit: 64,
    });

    // Assess
    expect(page.events.map((b) => Buffer.from(b).toString("hex"))).toEqual(
      [one, twoB, threeB].map((e) => Buffer.from(e.bytes).toString("hex")),
    );
  });
});
