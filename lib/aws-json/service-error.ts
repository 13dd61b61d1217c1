/**
 * An error reply of an AWS JSON service. `name` is the AWS error type without its
 * namespace (`ConditionalCheckFailedException`), as in the AWS SDK, so callers
 * test `err.name`.
 */
export class AwsServiceError extends Error {
  constructor(
    /** The AWS error type, e.g. `ThrottlingException`; `NetworkError` when no reply came. */
    readonly type: string,
    message: string,
    /** HTTP status of the reply; 0 when no reply came. */
    readonly status: number,
    /** `x-amzn-requestid` of the reply, for AWS support. */
    readonly requestId?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = type;
  }
}

/** Longest error message kept from a reply (AWS messages are one sentence). */
const MAX_MESSAGE_CHARS = 512;

/**
 * The error type of an AWS JSON error reply: the `x-amzn-errortype` header, else the
 * body's `__type` or `code`, stripped of its namespace (`aws.protocoltests#Foo`) and
 * of any `:http://…` suffix.
 */
export function errorTypeOf(header: string | undefined, body: unknown): string {
  const fields = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
  const raw = [header, fields.__type, fields.code].find((v): v is string => typeof v === "string" && v.length > 0);
  if (!raw) return "UnknownError";
  const withoutSuffix = raw.split(":")[0] ?? raw;
  const name = withoutSuffix.slice(withoutSuffix.lastIndexOf("#") + 1);
  return /^[A-Za-z][A-Za-z0-9_.]{0,127}$/.test(name) ? name : "UnknownError";
}

/** Builds the error of a non-2xx reply (`text` is the raw body; it may not be JSON). */
export function parseErrorReply(status: number, headers: Record<string, string | undefined>, text: string) {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const type = errorTypeOf(headers["x-amzn-errortype"], body);
  const fields = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
  const message = [fields.message, fields.Message].find((v): v is string => typeof v === "string");
  return new AwsServiceError(
    type,
    (message ?? `HTTP ${status}`).slice(0, MAX_MESSAGE_CHARS),
    status,
    headers["x-amzn-requestid"],
  );
}
