import type { AwsServiceError } from "./service-error";

/**
 * The retry policy of the AWS SDK's `standard` mode, in the small: three attempts
 * in all, exponential backoff with full jitter from 50 ms, capped at 1 s so that a
 * Lambda with a few seconds of budget still answers (a 503 tells the device to retry).
 */
export const RETRY_POLICY = { maxAttempts: 3, baseDelayMs: 50, maxDelayMs: 1_000 } as const;

/** Error types AWS documents as throttling (the SDK's `THROTTLING_ERROR_CODES`). */
const THROTTLING = new Set([
  "Throttling",
  "ThrottlingException",
  "ThrottledException",
  "RequestThrottledException",
  "TooManyRequestsException",
  "ProvisionedThroughputExceededException",
  "TransactionInProgressException",
  "RequestLimitExceeded",
  "BandwidthLimitExceeded",
  "LimitExceededException",
  "RequestThrottled",
  "SlowDown",
  "PriorRequestNotComplete",
  "EC2ThrottledException",
]);

/** Error types that are transient on the service side (the SDK's `TRANSIENT_ERROR_CODES`). */
const TRANSIENT = new Set(["TimeoutError", "RequestTimeout", "RequestTimeoutException", "NetworkError"]);

/** HTTP statuses that are transient whatever the error type. */
const TRANSIENT_STATUS = new Set([500, 502, 503, 504]);

/** Whether another attempt may succeed where this one failed. */
export function isRetryableFailure(error: Pick<AwsServiceError, "type" | "status">): boolean {
  return THROTTLING.has(error.type) || TRANSIENT.has(error.type) || TRANSIENT_STATUS.has(error.status);
}

/**
 * The wait before attempt `attempt + 1` (attempts count from 1): a uniform draw in
 * `[0, min(max, base × 2^(attempt-1)))`. `random` returns a number in [0, 1).
 */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(RETRY_POLICY.maxDelayMs, RETRY_POLICY.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}
