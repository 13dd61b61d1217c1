/**
 * When to restart a crashed runtime worker: exponential back-off from `baseMs`,
 * doubling per crash up to `maxMs`, and back to `baseMs` once a worker ran for
 * `stableMs` without crashing. Exit codes that say the worker can never run here
 * (configuration invalid, no enclave) are not restarted at all. Pure: no timers.
 */
export interface RestartPolicyOptions {
  baseMs?: number;
  maxMs?: number;
  stableMs?: number;
  /** Exit codes that are final (default: 69 EX_UNAVAILABLE, 78 EX_CONFIG). */
  finalExitCodes?: readonly number[];
}

export const DEFAULT_RESTART_POLICY = {
  baseMs: 1_000,
  maxMs: 30_000,
  stableMs: 60_000,
  finalExitCodes: [69, 78],
} as const;

/** What to do after a worker exited. */
export type RestartDecision = { restart: true; delayMs: number } | { restart: false; reason: string };

export class RestartPolicy {
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly stableMs: number;
  private readonly finalExitCodes: readonly number[];
  private consecutive = 0;

  constructor(options: RestartPolicyOptions = {}) {
    this.baseMs = options.baseMs ?? DEFAULT_RESTART_POLICY.baseMs;
    this.maxMs = options.maxMs ?? DEFAULT_RESTART_POLICY.maxMs;
    this.stableMs = options.stableMs ?? DEFAULT_RESTART_POLICY.stableMs;
    this.finalExitCodes = options.finalExitCodes ?? DEFAULT_RESTART_POLICY.finalExitCodes;
    if (!(this.baseMs > 0 && this.maxMs >= this.baseMs && this.stableMs > 0)) {
      throw new RangeError("restart policy: 0 < baseMs <= maxMs, stableMs > 0");
    }
  }

  /** Crashes in a row so far (reset by a worker that ran for `stableMs`). */
  get crashesInARow(): number {
    return this.consecutive;
  }

  /**
   * The decision after a worker that ran for `ranMs` exited with `code` / `signal`.
   * A clean exit (code 0, no signal) is not a crash and is not restarted either.
   */
  afterExit(code: number | null, signal: string | null, ranMs: number): RestartDecision {
    if (code === 0 && signal === null) return { restart: false, reason: "the worker exited cleanly" };
    if (code !== null && this.finalExitCodes.includes(code)) {
      return { restart: false, reason: `exit ${code} is final (the worker cannot run here)` };
    }
    if (ranMs >= this.stableMs) this.consecutive = 0;
    const delayMs = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.consecutive, 30));
    this.consecutive += 1;
    return { restart: true, delayMs };
  }
}
