import { VettidError } from "../errors";

/**
 * Why a `user_data` or the keys beside an attestation document were refused, in
 * `details.reason` of an `ATTESTATION_INVALID` error.
 */
export const USER_DATA_REASONS = {
  /** The document carries no `user_data`. */
  missing: "user_data_missing",
  /** The `user_data` is the proxy's connect-time marker, not a device-facing document. */
  proxyPurpose: "proxy_purpose",
  /** The `user_data` has another purpose tag, length or version. */
  layout: "user_data_layout",
  /** The keys sent beside the document are not the ones its digest names. */
  keyDigest: "handshake_key_digest",
} as const;
export type UserDataReason = (typeof USER_DATA_REASONS)[keyof typeof USER_DATA_REASONS];

/** A handshake message that is not one: wrong version, length or type. Nothing was decrypted. */
export function malformed(message: string): VettidError {
  return new VettidError("HANDSHAKE_MALFORMED", message);
}

/**
 * A well-formed handshake message that does not authenticate: forged, changed, for
 * another vault, device, attestation or key, or an invalid public key.
 */
export function failed(message: string, cause?: unknown): VettidError {
  return new VettidError("HANDSHAKE_FAILED", message, cause === undefined ? {} : { cause });
}

/** A caller mistake (bad key size, unknown option): the handshake never started. */
export function invalidInput(message: string): VettidError {
  return new VettidError("VALIDATION_FAILED", message);
}

/** Refuses an attestation's `user_data` or the keys beside it. */
export function refusedUserData(reason: UserDataReason, message: string): VettidError {
  return new VettidError("ATTESTATION_INVALID", message, { details: { reason } });
}

/** Anything thrown while processing a message becomes `HANDSHAKE_FAILED`; typed errors pass. */
export function asHandshakeError(err: unknown): VettidError {
  if (err instanceof VettidError) return err;
  return failed("the handshake message does not authenticate", err);
}

/** Refuses an options object with fields this library does not know (a typo must not pass silently). */
export function rejectUnknownFields(value: object, allowed: readonly string[], what: string): void {
  const unknown = Object.keys(value).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) throw invalidInput(`unknown ${what} fields: ${unknown.join(", ")}`);
}
