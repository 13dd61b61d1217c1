/** Reconnect back-off settings. */
export interface BackoffOptions {
  /** First delay cap in milliseconds (default 50: a restarted proxy is usually back within tens of ms). */
  initialDelayMs?: number;
  /** Largest delay cap in milliseconds (default 5,000: an enclave must not stay cut off for long). */
  maxDelayMs?: number;
}

export const DEFAULT_INITIAL_DELAY_MS = 50;
export const DEFAULT_MAX_DELAY_MS = 5_000;

/**
 * Exponential back-off with full jitter: a uniform delay in
 * `[0, min(max, initial × 2^attempt)]`, so enclaves that lost the proxy at the
 * same moment do not reconnect in lock step.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const initial = options.initialDelayMs ?? DEFAULT_INITIAL_DELAY_MS;
  const max = options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  const cap = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * cap);
}
