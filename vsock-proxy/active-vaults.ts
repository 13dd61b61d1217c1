/**
 * The vaults this host served requests for lately: what its heartbeat reports as
 * `vaultCount` and what enrollment's host pick balances on. A vault counts while a
 * request for it reached the enclave within the window (by default 15 minutes, the
 * runtime's idle eviction, `VAULT_IDLE_EVICT_MS`): about the vaults the enclave holds
 * loaded. The host asserts its own heartbeat anyway, so this counts what the host
 * sees; it never reads anything sealed.
 */
export const ACTIVE_VAULT_WINDOW_MS = 15 * 60_000;

/** Most vault ids kept: beyond it the count saturates rather than grow the map. */
export const MAX_TRACKED_VAULTS = 200_000;

/** How long the enclave's own count (its `OwnedVaults` health point, every minute) stands: three reports. */
export const OWNED_REPORT_FRESH_MS = 3 * 60_000;

export class ActiveVaults {
  private readonly lastSeen = new Map<string, number>();
  private owned: { count: number; at: number } | undefined;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly windowMs = ACTIVE_VAULT_WINDOW_MS,
  ) {}

  /** Records a request for `vaultId` now. */
  seen(vaultId: string): void {
    if (!this.lastSeen.has(vaultId) && this.lastSeen.size >= MAX_TRACKED_VAULTS) this.sweep();
    if (!this.lastSeen.has(vaultId) && this.lastSeen.size >= MAX_TRACKED_VAULTS) return;
    // re-inserting keeps the map in order of last use, so a sweep stops at the first fresh one
    this.lastSeen.delete(vaultId);
    this.lastSeen.set(vaultId, this.now());
  }

  /**
   * Records the enclave's count of the vaults whose lease it holds (decision 0071): with
   * two hosts seeing every request, that, not the requests seen, is what this host serves.
   */
  reportOwned(count: number): void {
    if (Number.isSafeInteger(count) && count >= 0) this.owned = { count, at: this.now() };
  }

  /** The enclave's owned count while fresh, else how many vaults had a request within the window. */
  count(): number {
    this.sweep();
    if (this.owned && this.now() - this.owned.at <= OWNED_REPORT_FRESH_MS) return this.owned.count;
    return this.lastSeen.size;
  }

  private sweep(): void {
    const oldest = this.now() - this.windowMs;
    for (const [vaultId, at] of this.lastSeen) {
      if (at > oldest) break;
      this.lastSeen.delete(vaultId);
    }
  }
}
