import { ERROR_CODES, type ErrorCode, isErrorCode } from "./codes";

/** Options of a {@link VettidError}. */
export interface VettidErrorOptions {
  /** The underlying error, kept for logs; never sent to a client. */
  cause?: unknown;
  /** Extra, client-safe detail (for example which field failed). */
  details?: Record<string, unknown>;
}

/**
 * The base of every error VettID code raises on purpose. It carries a stable
 * {@link ErrorCode}; the message is safe to show to the caller.
 *
 * @example
 * throw new VettidError("INVITATION_USED", "this invitation was already used");
 */
export class VettidError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message?: string, options: VettidErrorOptions = {}) {
    super(message ?? ERROR_CODES[code].title, { cause: options.cause });
    this.name = "VettidError";
    this.code = code;
    if (options.details !== undefined) this.details = options.details;
  }

  /** Whether the same request may succeed if tried again later. */
  get retryable(): boolean {
    return ERROR_CODES[this.code].retryable;
  }

  /** The HTTP status this code maps to at the REST edge. */
  get httpStatus(): number {
    return ERROR_CODES[this.code].http;
  }

  /** A plain object fit for a wire reply (NATS, proxy frames). No cause, no stack. */
  toWire(): WireError {
    return { code: this.code, message: this.message, retryable: this.retryable };
  }
}

/** The shape of an error on the wire. */
export interface WireError {
  code: ErrorCode;
  message: string;
  retryable: boolean;
}

/** True when `err` is a {@link VettidError}, optionally of the given code. */
export function isVettidError(err: unknown, code?: ErrorCode): err is VettidError {
  return err instanceof VettidError && (code === undefined || err.code === code);
}

/** True when `err` is a {@link VettidError} whose code is retryable. */
export function isRetryable(err: unknown): boolean {
  return err instanceof VettidError && err.retryable;
}

/**
 * Turns a wire error back into a {@link VettidError}. Unknown codes become
 * `INTERNAL` so a peer cannot invent codes.
 */
export function fromWire(value: unknown): VettidError {
  if (typeof value === "object" && value !== null) {
    const { code, message } = value as Record<string, unknown>;
    if (isErrorCode(code)) {
      return new VettidError(code, typeof message === "string" ? message.slice(0, 500) : undefined);
    }
  }
  return new VettidError("INTERNAL", "peer sent an unrecognised error");
}

/**
 * Wraps anything thrown into a {@link VettidError}; unknown errors become
 * `INTERNAL` with a generic message so internals never reach a client.
 */
export function toVettidError(err: unknown): VettidError {
  if (err instanceof VettidError) return err;
  return new VettidError("INTERNAL", undefined, { cause: err });
}
