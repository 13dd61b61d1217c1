/**
 * A token bucket: `perSecond` tokens a second, bursts up to `perSecond`. Used to cap
 * how fast one enclave may write into the host's logs and metrics.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = perSecond;
    this.last = now();
  }

  /** Takes one token; false when the budget is spent. */
  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/**
 * Log entries plus metric points one enclave may send per second. Derivation: a busy
 * vault runtime logs a few lines per operation at info level; 64 concurrent
 * operations × ~8 lines ≈ 500/s. Beyond that, entries are dropped and counted.
 */
export const TELEMETRY_PER_SECOND = 500;
