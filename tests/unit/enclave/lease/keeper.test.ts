/**
 * The lease keeper's renewals (vault-enclave/lease/keeper.ts): a renewal pass slower than
 * the renewal interval is joined, not run twice beside itself, so two renewals of one
 * revision never conflict and drop leases the runtime holds; a lease a request renewed
 * during a pass is kept. Whether a vault is free is read without writing, another
 * runtime's lease trusted until its expiry, and an unanswered table means no.
 */
import { VettidError } from "../../../../lib/errors";
import type { AcquireResult, HeldLease } from "../../../../vault-enclave/lease";
import { LeaseKeeper, type LeaseTable } from "../../../../vault-enclave/lease";

const SELF = "c".repeat(32);
const vault = (i: number) => `vlt_${i.toString(16).padStart(32, "0")}`;

/** A lease table with compare-and-set on a revision per vault, whose renewals take `delayMs`. */
function slowTable(delayMs: number, now: () => number): LeaseTable {
  const revisions = new Map<string, number>();
  let next = 1;
  return {
    async acquire(vaultId): Promise<AcquireResult> {
      const revision = next++;
      revisions.set(vaultId, revision);
      return { held: true, lease: { record: { vaultId, owner: SELF, epoch: 1, expiresAt: now() + 5_000 }, revision } };
    },
    async peek() {
      return undefined;
    },
    async renew(lease: HeldLease): Promise<HeldLease> {
      await new Promise((r) => setTimeout(r, delayMs));
      if (revisions.get(lease.record.vaultId) !== lease.revision) {
        throw new VettidError("LEASE_LOST", "another runtime holds the vault's lease now");
      }
      const revision = next++;
      revisions.set(lease.record.vaultId, revision);
      return { record: { ...lease.record, expiresAt: now() + 5_000 }, revision };
    },
    async release() {},
  };
}

describe("lease renewals", () => {
  it("keeps every lease when a renewal pass overlaps the next one", async () => {
    // Prepare: 10 vaults held; each renewal takes 20 ms, so a pass takes about 200 ms
    const lost: string[] = [];
    const keeper = new LeaseKeeper({
      table: slowTable(20, Date.now),
      self: SELF,
      now: Date.now,
      onLost: (v) => lost.push(v),
    });
    for (let i = 0; i < 10; i += 1) expect(await keeper.mayServe(vault(i))).toBe(true);

    // Act: the timer fires again while the first pass runs
    const first = keeper.renewAll();
    await new Promise((r) => setTimeout(r, 50));
    const second = keeper.renewAll();
    await Promise.all([first, second]);
    await keeper.renewAll();

    // Assess
    expect(lost).toEqual([]);
    expect(keeper.heldCount).toBe(10);
  });
});

describe("whether a vault is free", () => {
  it("reads another runtime's lease once and trusts it until its expiry, then reads again; takes nothing", async () => {
    // Prepare: a table where another runtime holds vault 1 until t = 5,000.
    let now = 0;
    let peeks = 0;
    let writes = 0;
    let holder: { owner: string; expiresAt: number } | undefined = { owner: "d".repeat(32), expiresAt: 5_000 };
    const table: LeaseTable = {
      async acquire(): Promise<AcquireResult> {
        writes += 1;
        throw new Error("not called");
      },
      async peek() {
        peeks += 1;
        return holder;
      },
      async renew(lease: HeldLease) {
        writes += 1;
        return lease;
      },
      async release() {
        writes += 1;
      },
    };
    const keeper = new LeaseKeeper({ table, self: SELF, now: () => now, onLost: () => undefined });

    // Act
    const whileHeld = [await keeper.isFree(vault(1)), await keeper.isFree(vault(1))];
    const peeksWhileHeld = peeks;
    now = 6_001; // past the expiry and the clock skew
    holder = undefined;
    const afterExpiry = await keeper.isFree(vault(1));
    table.peek = async () => {
      throw new VettidError("UNAVAILABLE", "the lease table did not answer");
    };
    const unanswered = await keeper.isFree(vault(2));

    // Assess
    expect(whileHeld).toEqual([false, false]);
    expect(peeksWhileHeld).toBe(1);
    expect(afterExpiry).toBe(true);
    expect(peeks).toBe(2);
    expect(unanswered).toBe(false);
    expect(writes).toBe(0);
    expect(keeper.heldCount).toBe(0);
  });
});

describe("confirming a held lease (decision 0078)", () => {
  /** slowTable(0) whose peek answers what `owner` says (another runtime's lease, none, or a failure). */
  function tableWithPeek(now: () => number, owner: () => string | undefined | Error, epoch: () => number = () => 2) {
    const table = slowTable(0, now);
    let peeks = 0;
    table.peek = async () => {
      peeks += 1;
      const o = owner();
      if (o instanceof Error) throw o;
      return o === undefined ? undefined : { owner: o, expiresAt: now() + 5_000, epoch: epoch() };
    };
    return { table, peeks: () => peeks };
  }

  it("reads the table at most once per renewal interval, and loses a lease another runtime took over at a later epoch only", async () => {
    // Prepare
    let clock = 1_000_000;
    let owner: string | undefined;
    let epoch = 1;
    const { table, peeks } = tableWithPeek(
      () => clock,
      () => owner,
      () => epoch,
    );
    const lost: string[] = [];
    const keeper = new LeaseKeeper({ table, self: SELF, now: () => clock, onLost: (v) => lost.push(v) });
    await keeper.mayServe(vault(1));

    // Act: confirmed twice within the interval; then a replica behind shows the previous
    // owner (epoch 1, this runtime's own); then another runtime took it over (epoch 2)
    const first = await keeper.confirm(vault(1));
    owner = "d".repeat(32);
    epoch = 1;
    const withinInterval = await keeper.confirm(vault(1));
    clock += 1_500;
    const behind = await keeper.confirm(vault(1));
    epoch = 2;
    clock += 1_500;
    const afterTakeOver = await keeper.confirm(vault(1));

    // Assess
    expect([first, withinInterval, behind, afterTakeOver]).toEqual([true, true, true, false]);
    expect(peeks()).toBe(3);
    expect(lost).toEqual([vault(1)]);
    expect(keeper.has(vault(1))).toBe(false);
    expect(await keeper.confirm(vault(1))).toBe(false);
  });

  it("keeps a held lease when the table does not answer: the renewal decides", async () => {
    // Prepare
    const { table } = tableWithPeek(Date.now, () => new Error("no answer"));
    const lost: string[] = [];
    const keeper = new LeaseKeeper({ table, self: SELF, now: Date.now, onLost: (v) => lost.push(v) });
    await keeper.mayServe(vault(2));

    // Act / Assess
    expect(await keeper.confirm(vault(2))).toBe(true);
    expect(lost).toEqual([]);
  });
});
