import type { ErrorCode } from "./codes";
import { VettidError } from "./vettid-error";

/** Node network error codes that mean the upstream could not be reached. */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ECONNABORTED",
]);

/** AWS error names mapped to our codes; anything unknown from a 5xx is `UNAVAILABLE`. */
const AWS_ERRORS: Record<string, ErrorCode> = {
  AccessDeniedException: "FORBIDDEN",
  AccessDenied: "FORBIDDEN",
  NotFoundException: "NOT_FOUND",
  NoSuchKey: "NOT_FOUND",
  NotFound: "NOT_FOUND",
  PreconditionFailed: "VERSION_CONFLICT",
  ConditionalRequestConflict: "VERSION_CONFLICT",
  InvalidCiphertextException: "BAD_REQUEST",
  IncorrectKeyException: "BAD_REQUEST",
  ValidationException: "BAD_REQUEST",
  InvalidKeyUsageException: "BAD_REQUEST",
  DisabledException: "CONFLICT",
  KMSInvalidStateException: "CONFLICT",
  // throttling, as the SDK's standard retry mode lists it (THROTTLING_ERROR_CODES)
  ThrottlingException: "RATE_LIMITED",
  Throttling: "RATE_LIMITED",
  ThrottledException: "RATE_LIMITED",
  RequestThrottledException: "RATE_LIMITED",
  TooManyRequestsException: "RATE_LIMITED",
  ProvisionedThroughputExceededException: "RATE_LIMITED",
  RequestLimitExceeded: "RATE_LIMITED",
  SlowDown: "RATE_LIMITED",
  RequestTimeout: "TIMEOUT",
  TimeoutError: "TIMEOUT",
};

/** Options of {@link fromAwsError}. */
export interface FromAwsErrorOptions {
  /**
   * The request was built by us from no caller input (the REST edge's table and
   * secrets): a refusal that is not worth retrying is then a fault of this
   * deployment — a missing table, a denied role — and becomes `INTERNAL` (500),
   * never a 4xx that would blame the caller. Retryable kinds stay as they are.
   */
  ownRequest?: boolean;
}

/**
 * Maps an AWS SDK v3 error to a VettidError with a generic, client-safe message:
 * the caller learns the kind of failure and whether to retry, never service details.
 *
 * @example
 * // the edge's store: a throttled table is RATE_LIMITED (429), a missing one INTERNAL (500)
 * throw fromAwsError(err, "DynamoDB PutItem", { ownRequest: true });
 */
export function fromAwsError(err: unknown, what: string, options: FromAwsErrorOptions = {}): VettidError {
  const mapped = mapAwsError(err, what);
  if (!options.ownRequest || mapped.retryable || mapped.code === "INTERNAL" || err instanceof VettidError)
    return mapped;
  return new VettidError("INTERNAL", `${what} failed (${mapped.code})`, { cause: err });
}

function mapAwsError(err: unknown, what: string): VettidError {
  if (err instanceof VettidError) return err;
  const e = err as { name?: string; code?: string; $fault?: string; $metadata?: { httpStatusCode?: number } };
  const status = e?.$metadata?.httpStatusCode;
  const byName = e?.name ? AWS_ERRORS[e.name] : undefined;
  let code: ErrorCode;
  if (status === 412) code = "VERSION_CONFLICT";
  else if (byName) code = byName;
  else if (status === 404) code = "NOT_FOUND";
  else if (status === 403) code = "FORBIDDEN";
  else if (e?.code && NETWORK_CODES.has(e.code)) code = "UNAVAILABLE";
  else if (status === undefined || status >= 500 || e?.$fault === "server") code = "UNAVAILABLE";
  else code = "BAD_REQUEST";
  return new VettidError(code, `${what} failed (${code})`, { cause: err });
}
