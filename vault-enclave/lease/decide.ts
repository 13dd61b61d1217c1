import type { LeaseRecord } from "./record";

/** How long a lease lasts from its last renewal, and how often its owner renews it. */
export interface LeaseTiming {
  /** A lease not renewed for this long lapses (default {@link LEASE_TTL_MS}). */
  ttlMs: number;
  /** The owner renews this often (default {@link LEASE_RENEW_MS}). */
  renewMs: number;
  /**
   * Clocks of two runtimes may differ by this much: a taker waits this long past the
   * expiry it reads, and an owner stops serving this long before its own expiry, so
   * the two never both believe they hold it (default {@link LEASE_CLOCK_SKEW_MS}).
   */
  skewMs: number;
}

/** 5 s: with a renewal every 1.5 s and 1 s of skew, another runtime serves a dead owner's vault within about 6 s. */
export const LEASE_TTL_MS = 5_000;
export const LEASE_RENEW_MS = 1_500;
export const LEASE_CLOCK_SKEW_MS = 1_000;

export const DEFAULT_LEASE_TIMING: LeaseTiming = {
  ttlMs: LEASE_TTL_MS,
  renewMs: LEASE_RENEW_MS,
  skewMs: LEASE_CLOCK_SKEW_MS,
};

/** What runtime `self` may do about a vault's lease at `now` (pure). */
export type LeaseDecision =
  | { kind: "create"; next: LeaseRecord }
  | { kind: "renew"; next: LeaseRecord }
  | { kind: "take"; next: LeaseRecord }
  | { kind: "held"; owner: string; expiresAt: number };

/**
 * The next lease for `self` given the current one (undefined: none): a new lease at
 * epoch 1; its own lease renewed (same epoch); another's lease taken over at epoch + 1
 * only once it has lapsed by more than the clock skew, or at once with `takeOver` (an
 * admitted device found its owner silent, decision 0078); otherwise held by the other.
 */
export function decideLease(
  vaultId: string,
  self: string,
  current: LeaseRecord | undefined,
  now: number,
  timing: LeaseTiming = DEFAULT_LEASE_TIMING,
  options: { takeOver?: boolean } = {},
): LeaseDecision {
  const expiresAt = now + timing.ttlMs;
  if (current === undefined) return { kind: "create", next: { vaultId, owner: self, epoch: 1, expiresAt } };
  if (current.owner === self)
    return { kind: "renew", next: { ...current, expiresAt: Math.max(expiresAt, current.expiresAt) } };
  if (options.takeOver || now > current.expiresAt + timing.skewMs) {
    return { kind: "take", next: { vaultId, owner: self, epoch: current.epoch + 1, expiresAt } };
  }
  return { kind: "held", owner: current.owner, expiresAt: current.expiresAt };
}

/**
 * Whether the owner of `lease` may still serve at `now` by its own clock: until the
 * clock skew before the expiry it wrote, so a taker (who waits the skew past it) never
 * overlaps it.
 */
export function mayServe(
  lease: LeaseRecord,
  self: string,
  now: number,
  timing: LeaseTiming = DEFAULT_LEASE_TIMING,
): boolean {
  return lease.owner === self && now < lease.expiresAt - timing.skewMs;
}
