import { MAX_SUBJECT_LENGTH } from "../lib/proxy-protocol";

/**
 * Reply grants one device may hold at once; its next grant evicts its own oldest.
 * Derivation: the former shared pool was sized for 64 concurrent requesters × 32
 * requests each in flight; 32 stays the allowance of one requester. A device with
 * more outstanding is flooding, and only its own oldest requests, whose answers it
 * alone is waiting for, lose their reply.
 */
export const MAX_GRANTS_PER_DEVICE = 32;

/**
 * Reply grants one enclave connection may hold in all; beyond this a new grant is
 * refused (never taken from another device). Derivation: one enclave holds ~512
 * unlocked vaults, and each vault's active device may hold a full quota:
 * 512 × {@link MAX_GRANTS_PER_DEVICE} = 16,384. Each grant costs a subject of at most
 * {@link MAX_SUBJECT_LENGTH} (512) one-byte characters plus two map entries (~200
 * bytes), so the cap bounds the memory at 16,384 × ~712 B ≈ 11.1 MiB per connection.
 */
export const MAX_GRANTS = 512 * MAX_GRANTS_PER_DEVICE;

/** How long a grant lives: a device's request times out after 30 s at most. */
export const REPLY_GRANT_TTL_MS = 30_000;

/** Limits of a {@link ReplyGrants}; each defaults to the constant of the same meaning. */
export interface ReplyGrantsOptions {
  /** Outstanding grants per device (default {@link MAX_GRANTS_PER_DEVICE}). */
  perDevice?: number;
  /** Outstanding grants in all (default {@link MAX_GRANTS}); at least `perDevice`. */
  total?: number;
  /** Lifetime of a grant in milliseconds (default {@link REPLY_GRANT_TTL_MS}). */
  ttlMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

const OPTION_KEYS = new Set(["perDevice", "total", "ttlMs", "now"]);

interface Grant {
  deviceId: string;
  expires: number;
}

/**
 * Reply subjects the enclave may publish to: exactly those the proxy delivered
 * with a request, each usable once, for a limited time, like NATS `allow_responses`.
 *
 * Grants are accounted per requesting device: a device's new grant evicts only that
 * device's own oldest one, and once the connection holds {@link MAX_GRANTS} a new
 * grant is refused rather than taken from anyone. So one device (or a device of
 * another vault on the same host) sending requests with fresh reply subjects can
 * never make another device's pending reply `FORBIDDEN`.
 *
 * @example
 * ```ts
 * const grants = new ReplyGrants();
 * if (grants.hasRoom(deviceId) && link.send(...)) grants.grant(deviceId, reply);
 * // later, when the enclave publishes:
 * if (!grants.take(subject)) throw new VettidError("FORBIDDEN");
 * ```
 */
export class ReplyGrants {
  /** Every grant, in the order granted (which, with one TTL, is the order of expiry). */
  private readonly grants = new Map<string, Grant>();
  /** Each device's grant subjects, in the order granted. */
  private readonly byDevice = new Map<string, Set<string>>();
  private readonly perDevice: number;
  private readonly total: number;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(options: ReplyGrantsOptions = {}) {
    for (const key of Object.keys(options)) {
      if (!OPTION_KEYS.has(key)) throw new TypeError(`unknown ReplyGrants option: ${key}`);
    }
    this.perDevice = positiveInteger("perDevice", options.perDevice ?? MAX_GRANTS_PER_DEVICE);
    this.total = positiveInteger("total", options.total ?? MAX_GRANTS);
    this.ttlMs = positiveInteger("ttlMs", options.ttlMs ?? REPLY_GRANT_TTL_MS);
    if (this.total < this.perDevice) throw new TypeError("total must be at least perDevice");
    this.now = options.now ?? Date.now;
  }

  /**
   * Whether {@link grant} would accept a new grant for `deviceId` now: the device
   * is at its quota (its own oldest grant makes room) or the connection is below
   * its total. Check before delivering a request whose reply would need a grant.
   */
  hasRoom(deviceId: string): boolean {
    this.dropExpired();
    return (this.byDevice.get(deviceId)?.size ?? 0) >= this.perDevice || this.grants.size < this.total;
  }

  /**
   * Records that `subject` was handed to the enclave as the reply subject of a
   * request from `deviceId`. Call only once the delivery succeeded. Evicts the
   * device's own oldest grant when it is at its quota; returns false (and records
   * nothing) when the connection holds {@link MAX_GRANTS} grants.
   */
  grant(deviceId: string, subject: string): boolean {
    this.remove(subject);
    if (!this.hasRoom(deviceId)) return false;
    const own = this.byDevice.get(deviceId) ?? new Set<string>();
    if (own.size >= this.perDevice) this.remove(own.values().next().value as string);
    own.add(subject);
    this.byDevice.set(deviceId, own);
    this.grants.set(subject, { deviceId, expires: this.now() + this.ttlMs });
    return true;
  }

  /** Whether a grant for `subject` is held (expired or not). */
  has(subject: string): boolean {
    return this.grants.has(subject);
  }

  /** Consumes the grant for `subject`; false when there is none or it expired. */
  take(subject: string): boolean {
    const held = this.grants.get(subject);
    if (held === undefined) return false;
    this.remove(subject);
    return held.expires >= this.now();
  }

  /** Grants held in all. */
  get size(): number {
    return this.grants.size;
  }

  /** Grants held for `deviceId`. */
  sizeOf(deviceId: string): number {
    return this.byDevice.get(deviceId)?.size ?? 0;
  }

  private remove(subject: string): void {
    const held = this.grants.get(subject);
    if (held === undefined) return;
    this.grants.delete(subject);
    const own = this.byDevice.get(held.deviceId);
    own?.delete(subject);
    if (own?.size === 0) this.byDevice.delete(held.deviceId);
  }

  /** Drops expired grants from the front (oldest first); they could never be taken. */
  private dropExpired(): void {
    const now = this.now();
    for (const [subject, held] of this.grants) {
      if (held.expires >= now) return;
      this.remove(subject);
    }
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new TypeError(`${name} must be a positive integer`);
  return value;
}
