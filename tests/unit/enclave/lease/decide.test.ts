import fc from "fast-check";
import {
  DEFAULT_LEASE_TIMING,
  decideLease,
  LEASE_CLOCK_SKEW_MS,
  LEASE_TTL_MS,
  type LeaseRecord,
  mayServe,
} from "../../../../vault-enclave/lease";

const VAULT = `vlt_${"ab".repeat(16)}`;
const A = "a".repeat(32);
const B = "b".repeat(32);
const T = 1_800_000_000_000;

describe("lease decisions (pure)", () => {
  it("creates a lease at epoch 1, renews its own, and takes another's only after expiry plus the skew", () => {
    const created = decideLease(VAULT, A, undefined, T);
    expect(created).toEqual({
      kind: "create",
      next: { vaultId: VAULT, owner: A, epoch: 1, expiresAt: T + LEASE_TTL_MS },
    });
    const lease = created.kind === "create" ? created.next : (undefined as never);
    expect(decideLease(VAULT, A, lease, T + 1_000)).toMatchObject({
      kind: "renew",
      next: { owner: A, epoch: 1, expiresAt: T + 1_000 + LEASE_TTL_MS },
    });
    expect(decideLease(VAULT, B, lease, lease.expiresAt + LEASE_CLOCK_SKEW_MS)).toEqual({
      kind: "held",
      owner: A,
      expiresAt: lease.expiresAt,
    });
    expect(decideLease(VAULT, B, lease, lease.expiresAt + LEASE_CLOCK_SKEW_MS + 1)).toMatchObject({
      kind: "take",
      next: { owner: B, epoch: 2 },
    });
  });

  it("never shortens its own lease on renewal, and stops serving the skew before its expiry", () => {
    const lease: LeaseRecord = { vaultId: VAULT, owner: A, epoch: 3, expiresAt: T + 10_000 };
    expect(decideLease(VAULT, A, lease, T)).toMatchObject({ next: { expiresAt: T + 10_000 } });
    expect(mayServe(lease, A, lease.expiresAt - LEASE_CLOCK_SKEW_MS - 1)).toBe(true);
    expect(mayServe(lease, A, lease.expiresAt - LEASE_CLOCK_SKEW_MS)).toBe(false);
    expect(mayServe(lease, B, T)).toBe(false);
  });

  it("never lets a taker and the owner both serve at one instant while their clocks differ by at most the skew", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60_000 }), // when the owner last renewed (real time)
        fc.integer({ min: 0, max: 60_000 }), // when the taker decides, after that
        fc.integer({ min: -LEASE_CLOCK_SKEW_MS, max: LEASE_CLOCK_SKEW_MS }), // owner's clock - real time
        fc.integer({ min: -LEASE_CLOCK_SKEW_MS, max: LEASE_CLOCK_SKEW_MS }), // taker's clock - real time
        fc.integer({ min: 0, max: 60_000 }), // a later instant (real time offset from the take)
        (renewedAt, delay, ownerSkew, takerSkew, later) => {
          const owned: LeaseRecord = {
            vaultId: VAULT,
            owner: A,
            epoch: 1,
            expiresAt: T + renewedAt + ownerSkew + DEFAULT_LEASE_TIMING.ttlMs,
          };
          const takeAt = T + renewedAt + delay;
          const decision = decideLease(VAULT, B, owned, takeAt + takerSkew);
          if (decision.kind !== "take") return;
          // from the take on, the owner (by its own clock) no longer serves
          expect(mayServe(owned, A, takeAt + later + ownerSkew)).toBe(false);
        },
      ),
      { numRuns: 5_000 },
    );
  });
});
