import { VettidError } from "../errors";

/**
 * Why the strict pre-pass refused an input. Stable strings: callers map them into
 * their own error family (`FRAME_MALFORMED`, `ATTESTATION_INVALID`, …) and tests
 * match on them.
 */
export const CBOR_REJECTIONS = {
  /** The input ends inside an item (or is empty). */
  truncated: "truncated",
  /** Bytes follow the one item. */
  trailingBytes: "trailing_bytes",
  /** A string, array or map declares more than the remaining bytes could hold. */
  lengthExceedsInput: "length_exceeds_input",
  /** Additional information 28–30, or 31 on an integer or a tag: not well-formed. */
  invalidHead: "invalid_head",
  /** An indefinite-length string, array or map. */
  indefiniteLength: "indefinite_length",
  /** A break stop code outside any indefinite-length item. */
  unexpectedBreak: "unexpected_break",
  /** A tag the caller did not allow where it appears. */
  tagNotAllowed: "tag_not_allowed",
  /** A simple value other than false, true and null (undefined included). */
  simpleNotAllowed: "simple_not_allowed",
  /** A text string that is not valid UTF-8. */
  invalidUtf8: "invalid_utf8",
  /** A map key of a type the caller did not allow. */
  keyTypeNotAllowed: "key_type_not_allowed",
  /** Two keys of one map with the same decoded value. */
  duplicateKey: "duplicate_key",
  /** Arrays, maps and tags nested deeper than the limit. */
  tooDeep: "too_deep",
  /** More items than the budget. */
  tooManyItems: "too_many_items",
} as const;

/** One of {@link CBOR_REJECTIONS}. */
export type CborRejection = (typeof CBOR_REJECTIONS)[keyof typeof CBOR_REJECTIONS];

/**
 * Raised by the strict pre-pass. `reason` says what was wrong and `offset` where (the
 * byte at which the offending item starts, or the input length for truncation). Its
 * code is `BAD_REQUEST`; callers usually wrap it in their own error with this as
 * the cause.
 */
export class CborError extends VettidError {
  readonly reason: CborRejection;
  readonly offset: number;

  constructor(reason: CborRejection, offset: number, message: string) {
    super("BAD_REQUEST", message, { details: { reason, offset } });
    this.name = "CborError";
    this.reason = reason;
    this.offset = offset;
  }
}

/** True when `err` is a {@link CborError}, optionally for the given reason. */
export function isCborError(err: unknown, reason?: CborRejection): err is CborError {
  return err instanceof CborError && (reason === undefined || err.reason === reason);
}
