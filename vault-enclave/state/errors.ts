import { type ErrorCode, VettidError } from "../../lib/errors";

/**
 * Why a state blob was refused. Stable strings for logs and tests; the message never
 * carries key material or plaintext.
 */
export const STATE_REJECTIONS = {
  /** Larger than the blob limit, before anything else is read. */
  tooLarge: "too_large",
  /** Ends inside a field, or a length exceeds what is left. */
  truncated: "truncated",
  /** Bytes follow the last field. */
  trailingBytes: "trailing_bytes",
  /** Not a state blob (wrong magic). */
  badMagic: "bad_magic",
  /** A format version no file here reads. */
  unsupportedVersion: "unsupported_version",
  /** A length or number outside its bounds. */
  outOfBounds: "out_of_bounds",
  /** A layer failed authentication: wrong key, another vault, another version, or tampered. */
  authFailed: "auth_failed",
  /** The outer layer names another inner layer than the one in the blob (spliced). */
  innerMismatch: "inner_mismatch",
  /** An authenticated payload that is not what its format says (a format bug, never the host). */
  payloadInvalid: "payload_invalid",
} as const;

/** One of {@link STATE_REJECTIONS}. */
export type StateRejection = (typeof STATE_REJECTIONS)[keyof typeof STATE_REJECTIONS];

/** The base of every error this folder raises on purpose: a {@link VettidError}, `cause` kept. */
export class SealedStateError extends VettidError {
  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, message, options);
    this.name = "SealedStateError";
  }
}

/**
 * A state blob that does not parse, does not authenticate or does not decode
 * (`STATE_INVALID`). The host cannot tell these apart from the outside, and neither
 * should a caller: a wrong root key, a blob of another vault, a spliced or tampered
 * blob all end here.
 */
export class StateInvalid extends SealedStateError {
  readonly reason: StateRejection;

  constructor(reason: StateRejection, message: string, cause?: unknown) {
    super("STATE_INVALID", `sealed state refused: ${message}`, { cause, details: { reason } });
    this.name = "StateInvalid";
    this.reason = reason;
  }
}

/** A state older than one the caller has already seen (`STALE_STATE`): a rollback or a stale replica. */
export class StateRolledBack extends SealedStateError {
  readonly seen: number;
  readonly got: number;

  constructor(seen: number, got: number) {
    super("STALE_STATE", `state version ${got} is older than version ${seen} already seen`, {
      details: { seen, got },
    });
    this.name = "StateRolledBack";
    this.seen = seen;
    this.got = got;
  }
}

/** A new state that must not be written: a caller bug (`INTERNAL`), never input from the host. */
export class StateWriteRefused extends SealedStateError {
  constructor(message: string, cause?: unknown) {
    super("INTERNAL", `state write refused: ${message}`, { cause });
    this.name = "StateWriteRefused";
  }
}

/**
 * A new state that breaks its format's limits (`VALIDATION_FAILED`, with the failing
 * path), or one too large for the blob store (`PAYLOAD_TOO_LARGE`): usually a device
 * asked for more than a vault holds.
 */
export class StateRejected extends SealedStateError {
  constructor(code: "VALIDATION_FAILED" | "PAYLOAD_TOO_LARGE", message: string, details?: Record<string, unknown>) {
    super(code, message, details === undefined ? {} : { details });
    this.name = "StateRejected";
  }
}

/** The PIN did not match the verifier (`PIN_INCORRECT`). */
export class PinIncorrect extends SealedStateError {
  constructor() {
    super("PIN_INCORRECT", "the PIN is incorrect");
    this.name = "PinIncorrect";
  }
}

/** Back-off is running: no PIN is checked before `lockedUntil` (`PIN_LOCKED_OUT`). */
export class PinLockedOut extends SealedStateError {
  readonly lockedUntil: number;

  constructor(lockedUntil: number) {
    const when = Number.isFinite(new Date(lockedUntil).getTime()) ? new Date(lockedUntil).toISOString() : "later";
    super("PIN_LOCKED_OUT", `too many wrong PINs; try again after ${when}`, {
      details: { lockedUntil },
    });
    this.name = "PinLockedOut";
    this.lockedUntil = lockedUntil;
  }
}

/** The attempt limit is reached: the PIN no longer opens the vault (`PIN_ATTEMPTS_EXHAUSTED`). */
export class PinAttemptsExhausted extends SealedStateError {
  constructor() {
    super("PIN_ATTEMPTS_EXHAUSTED", "too many wrong PINs; the PIN no longer unlocks this vault");
    this.name = "PinAttemptsExhausted";
  }
}

/** True when `err` is a {@link StateInvalid}, optionally for the given reason. */
export function isStateInvalid(err: unknown, reason?: StateRejection): err is StateInvalid {
  return err instanceof StateInvalid && (reason === undefined || err.reason === reason);
}
