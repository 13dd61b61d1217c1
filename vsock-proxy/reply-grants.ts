/**
 * Reply subjects the enclave may publish to: exactly those the proxy delivered
 * with a request, each usable once, for a limited time. A bounded insertion-ordered
 * map: the oldest grant is evicted first.
 */
export class ReplyGrants {
  private readonly grants = new Map<string, number>();

  /**
   * @param capacity Outstanding grants kept. Derivation: 64 concurrent requesters ×
   *   32 requests each in flight = 2,048; 4,096 leaves room for bursts.
   * @param ttlMs How long a grant lives: a device's request times out after 30 s at most.
   */
  constructor(
    private readonly capacity = 4_096,
    private readonly ttlMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records that `subject` was handed to the enclave as a reply subject. */
  grant(subject: string): void {
    if (this.grants.has(subject)) this.grants.delete(subject);
    this.grants.set(subject, this.now() + this.ttlMs);
    if (this.grants.size > this.capacity) {
      const oldest = this.grants.keys().next().value as string;
      this.grants.delete(oldest);
    }
  }

  /** Whether a grant for `subject` is held (expired or not). */
  has(subject: string): boolean {
    return this.grants.has(subject);
  }

  /** Consumes the grant for `subject`; false when there is none or it expired. */
  take(subject: string): boolean {
    const expires = this.grants.get(subject);
    if (expires === undefined) return false;
    this.grants.delete(subject);
    return expires >= this.now();
  }

  get size(): number {
    return this.grants.size;
  }
}
