/**
 * The lease keeper's renewals (vault-enclave/lease/keeper.ts): a renewal pass slower than
 * the renewal interval is joined, not run twice beside itself, so two renewals of one
 * revision never conflict and drop leases the runtime holds; a lease a request renewed
 * during a pass is kept.
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
