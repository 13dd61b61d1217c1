import { VettidError } from "../../lib/errors";
import { DEFAULT_LEASE_TIMING, type LeaseTiming, mayServe } from "./decide";
import type { AcquireResult, HeldLease } from "./kv-lease-table";

/** What a {@link LeaseKeeper} needs of the lease table (kv-lease-table.ts `KvLeaseTable`). */
export interface LeaseTable {
  /** With `takeOver`, a live owner's lease is taken too, at the next epoch. */
  acquire(vaultId: string, options?: { takeOver?: boolean }): Promise<AcquireResult>;
  /** Who else holds the vault's lease now, at which epoch (undefined: this runtime could take it), without writing. */
  peek(vaultId: string): Promise<{ owner: string; expiresAt: number; epoch?: number } | undefined>;
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
/** Vaults of other runtimes remembered at most (about 100 bytes each); all forgotten at once beyond. */
const MAX_KNOWN_OTHERS = 100_000;

export class LeaseKeeper {
  private readonly held = new Map<string, HeldLease>();
  /** Vaults another runtime was seen to hold, with the expiry read then. */
  private readonly othersUntil = new Map<string, number>();
  /** When {@link confirm} last read a held vault's lease. */
  private readonly confirmedAt = new Map<string, number>();
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

  /** Whether this runtime keeps a lease of `vaultId` (live or not): only such a vault's lease is renewed. */
  has(vaultId: string): boolean {
    return this.held.has(vaultId);
  }

  /**
   * Whether no other runtime holds `vaultId`'s lease now, read without writing: such a
   * vault is anybody's to take, and this runtime may answer what takes no lease for it.
   * A table that does not answer means no.
   */
  async isFree(vaultId: string): Promise<boolean> {
    if (this.held.has(vaultId)) return true;
    // another runtime's lease read before stays its own at least until the expiry read
    // (renewals only extend it): no read per message for every vault another runtime serves
    const until = this.othersUntil.get(vaultId);
    if (until !== undefined && this.options.now() <= until + this.timing.skewMs) return false;
    try {
      const other = await this.options.table.peek(vaultId);
      if (other === undefined) {
        this.othersUntil.delete(vaultId);
        return true;
      }
      this.noteOther(vaultId, other.expiresAt);
      return false;
    } catch {
      return false;
    }
  }

  private noteOther(vaultId: string, expiresAt: number): void {
    if (this.othersUntil.size >= MAX_KNOWN_OTHERS) this.othersUntil.clear();
    this.othersUntil.set(vaultId, expiresAt);
  }

  /**
   * Whether the lease this runtime holds of `vaultId` is still its own in the table,
   * read without writing, at most once per renewal interval per vault (else the answer
   * of the last read, or of {@link holds}): a lease another runtime took over at a later
   * epoch (decision 0078) is lost at once instead of at the next renewal. A read that
   * shows another owner at an epoch not after this runtime's (a replica behind its own
   * write), or no answer, changes nothing: the renewal's compare-and-set decides.
   */
  async confirm(vaultId: string): Promise<boolean> {
    if (!this.held.has(vaultId)) return false;
    const now = this.options.now();
    const last = this.confirmedAt.get(vaultId);
    if (last !== undefined && now - last < this.timing.renewMs) return this.holds(vaultId);
    if (this.confirmedAt.size >= MAX_KNOWN_OTHERS) this.confirmedAt.clear();
    this.confirmedAt.set(vaultId, now);
    let other: Awaited<ReturnType<LeaseTable["peek"]>>;
    try {
      other = await this.options.table.peek(vaultId);
    } catch {
      return this.holds(vaultId);
    }
    const mine = this.held.get(vaultId);
    if (other === undefined || !mine || (other.epoch ?? 0) <= mine.record.epoch) return this.holds(vaultId);
    this.lose(vaultId);
    this.noteOther(vaultId, other.expiresAt);
    return false;
  }

  /** Whether this runtime holds `vaultId`'s lease and may serve it now, without asking the table. */
  holds(vaultId: string): boolean {
    const lease = this.held.get(vaultId);
    return lease !== undefined && mayServe(lease.record, this.options.self, this.options.now(), this.timing);
  }

  /**
   * Whether this runtime may serve `vaultId` now, taking its lease when it is free (or,
   * with `takeOver`, from a live owner, which stops at its next renewal; decision 0078).
   * A table that does not answer means no: never two owners, at the cost of service.
   */
  async mayServe(vaultId: string, options: { takeOver?: boolean } = {}): Promise<boolean> {
    const lease = this.held.get(vaultId);
    const now = this.options.now();
    if (lease && mayServe(lease.record, this.options.self, now, this.timing)) return true;
    let result: AcquireResult;
    try {
      result = await this.options.table.acquire(vaultId, options);
    } catch {
      if (lease) this.lose(vaultId);
      return false;
    }
    if (!result.held) {
      if (lease) this.lose(vaultId);
      this.noteOther(vaultId, result.expiresAt);
      return false;
    }
    this.othersUntil.delete(vaultId);
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
    this.confirmedAt.delete(vaultId);
    this.options.onLost(vaultId);
  }
}
