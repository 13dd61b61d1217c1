import { VettidError } from "../../lib/errors";
import { DEFAULT_LEASE_TIMING, type LeaseTiming, mayServe } from "./decide";
import type { AcquireResult, HeldLease } from "./kv-lease-table";

/** What a {@link LeaseKeeper} needs of the lease table (kv-lease-table.ts `KvLeaseTable`). */
export interface LeaseTable {
  acquire(vaultId: string): Promise<AcquireResult>;
  renew(lease: HeldLease): Promise<HeldLease>;
  release(lease: HeldLease): Promise<void>;
}

/** Options of {@link LeaseKeeper}. */
export interface LeaseKeeperOptions {
  table: LeaseTable;
  /** This runtime's id, as the table's. */
  self: string;
  now: () => number;
  timing?: LeaseTiming;
  /** Called when a lease this runtime held is gone (taken, or lapsed): stop serving the vault. */
  onLost: (vaultId: string) => void;
}

/**
 * The leases this runtime holds (decision 0071): a vault is served only while its lease
 * is held and not within the clock skew of its expiry; a request for a vault this
 * runtime holds no lease of tries to take it (none, lapsed) and is otherwise left to
 * the owner. {@link renewAll} runs every `renewMs`.
 */
export class LeaseKeeper {
  private readonly held = new Map<string, HeldLease>();
  private readonly timing: LeaseTiming;
  private renewing: Promise<void> | undefined;

  constructor(private readonly options: LeaseKeeperOptions) {
    this.timing = options.timing ?? DEFAULT_LEASE_TIMING;
  }

  /** Vaults whose lease this runtime holds. */
  get heldCount(): number {
    return this.held.size;
  }

  /** The vaults whose lease this runtime holds. */
  get heldVaults(): string[] {
    return [...this.held.keys()];
  }

  /** Whether this runtime holds `vaultId`'s lease and may serve it now, without asking the table. */
  holds(vaultId: string): boolean {
    const lease = this.held.get(vaultId);
    return lease !== undefined && mayServe(lease.record, this.options.self, this.options.now(), this.timing);
  }

  /**
   * Whether this runtime may serve `vaultId` now, taking its lease when it is free.
   * A table that does not answer means no: never two owners, at the cost of service.
   */
  async mayServe(vaultId: string): Promise<boolean> {
    const lease = this.held.get(vaultId);
    const now = this.options.now();
    if (lease && mayServe(lease.record, this.options.self, now, this.timing)) return true;
    let result: AcquireResult;
    try {
      result = await this.options.table.acquire(vaultId);
    } catch {
      if (lease) this.lose(vaultId);
      return false;
    }
    if (!result.held) {
      if (lease) this.lose(vaultId);
      return false;
    }
    this.held.set(vaultId, result.lease);
    return mayServe(result.lease.record, this.options.self, this.options.now(), this.timing);
  }

  /**
   * Renews every held lease; one taken by another runtime, or lapsed, is lost. One pass
   * at a time: a pass still running when the timer fires again is joined, not doubled
   * (two renewals of one revision would conflict and drop a lease this runtime holds).
   */
  renewAll(): Promise<void> {
    this.renewing ??= this.renewPass().finally(() => {
      this.renewing = undefined;
    });
    return this.renewing;
  }

  private async renewPass(): Promise<void> {
    for (const [vaultId, lease] of [...this.held]) {
      // released, lost or taken again (a request renewed it meanwhile) since the pass began
      if (this.held.get(vaultId) !== lease) continue;
      try {
        const renewed = await this.options.table.renew(lease);
        if (this.held.get(vaultId) === lease) this.held.set(vaultId, renewed);
      } catch (err) {
        if (this.held.get(vaultId) !== lease) continue;
        const lost = err instanceof VettidError && err.code === "LEASE_LOST";
        if (lost || !mayServe(lease.record, this.options.self, this.options.now(), this.timing)) this.lose(vaultId);
      }
    }
  }

  /** Gives the vault's lease up (an evicted vault), so another runtime may take it at once. */
  async release(vaultId: string): Promise<void> {
    const lease = this.held.get(vaultId);
    if (!lease) return;
    this.held.delete(vaultId);
    await this.options.table.release(lease);
  }

  /** Gives every held lease up (a clean stop). */
  async releaseAll(): Promise<void> {
    await Promise.all([...this.held.keys()].map((vaultId) => this.release(vaultId)));
  }

  private lose(vaultId: string): void {
    this.held.delete(vaultId);
    this.options.onLost(vaultId);
  }
}
