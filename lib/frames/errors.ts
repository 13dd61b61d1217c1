import { VettidError } from "../errors";

/** Raised for any frame that is malformed, oversized, truncated or of another version. */
export class FrameError extends VettidError {
  constructor(
    code: "FRAME_MALFORMED" | "FRAME_TOO_LARGE" | "FRAME_TRUNCATED" | "FRAME_UNSUPPORTED_VERSION",
    message: string,
    cause?: unknown,
  ) {
    super(code, message, { cause });
    this.name = "FrameError";
  }
}

/** True when `err` is a {@link FrameError}. */
export function isFrameError(err: unknown): err is FrameError {
  return err instanceof FrameError;
}
