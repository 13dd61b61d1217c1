import { type ErrorCode, VettidError } from "../../lib/errors";

export { fromAwsError } from "../../lib/errors";

/** Maps a NATS client error to a VettidError. */
export function fromNatsError(err: unknown, what: string): VettidError {
  if (err instanceof VettidError) return err;
  const name = (err as { name?: string })?.name ?? "";
  const noResponders =
    name === "NoRespondersError" ||
    (typeof (err as { isNoResponders?: () => boolean })?.isNoResponders === "function" &&
      (err as { isNoResponders: () => boolean }).isNoResponders());
  let code: ErrorCode;
  if (noResponders) code = "UNAVAILABLE";
  else if (name === "TimeoutError") code = "TIMEOUT";
  else if (name === "PermissionViolationError" || name === "AuthorizationError") code = "FORBIDDEN";
  else if (name === "InvalidSubjectError" || name === "InvalidArgumentError") code = "BAD_REQUEST";
  else code = "UNAVAILABLE";
  return new VettidError(code, `${what} failed (${code})`, { cause: err });
}
