import { VettidError } from "../errors";

/** The error codes an attestation check can raise. */
export type AttestationErrorCode =
  | "ATTESTATION_INVALID"
  | "ATTESTATION_UNTRUSTED"
  | "ATTESTATION_STALE"
  | "PCR_NOT_APPROVED";

/**
 * Short, stable reasons carried in `details.reason` of every attestation error, so
 * that callers and tests can tell failures apart without parsing messages.
 */
export const REASONS = {
  tooLarge: "too_large",
  cbor: "cbor",
  coseStructure: "cose_structure",
  protectedHeader: "protected_header",
  algorithm: "algorithm",
  payload: "payload",
  certificate: "certificate",
  coseSignature: "cose_signature",
  untrustedRoot: "untrusted_root",
  chain: "chain",
  chainSignature: "chain_signature",
  validity: "validity",
  debugMode: "debug_mode",
  nonce: "nonce",
  age: "age",
  manifest: "manifest",
} as const;
export type AttestationFailureReason = (typeof REASONS)[keyof typeof REASONS];

/** Throws a {@link VettidError} with the given code, reason and message. */
export function fail(
  code: AttestationErrorCode,
  reason: AttestationFailureReason,
  message: string,
  cause?: unknown,
): never {
  throw new VettidError(code, message, { details: { reason }, cause });
}
