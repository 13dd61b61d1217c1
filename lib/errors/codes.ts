/**
 * The one list of error codes shared by the REST edge, the NATS vault protocol and
 * the vsock proxy. Codes are stable strings: clients match on them, so a code is
 * never renamed or reused for another meaning once released.
 *
 * `http` is used only at the REST edge; `retryable` tells a caller whether the same
 * request may succeed later without change.
 */
export const ERROR_CODES = {
  // Input and protocol
  BAD_REQUEST: { http: 400, retryable: false, title: "The request is malformed" },
  VALIDATION_FAILED: { http: 400, retryable: false, title: "The request failed validation" },
  UNSUPPORTED_MEDIA_TYPE: { http: 415, retryable: false, title: "Unsupported content type" },
  PAYLOAD_TOO_LARGE: { http: 413, retryable: false, title: "The request is too large" },
  NOT_FOUND: { http: 404, retryable: false, title: "Not found" },
  METHOD_NOT_ALLOWED: { http: 405, retryable: false, title: "Method not allowed" },
  CONFLICT: { http: 409, retryable: false, title: "The resource is in a conflicting state" },
  PRECONDITION_FAILED: { http: 412, retryable: false, title: "A precondition failed" },
  RATE_LIMITED: { http: 429, retryable: true, title: "Too many requests" },

  // Identity and authorization
  UNAUTHENTICATED: { http: 401, retryable: false, title: "Authentication is required" },
  FORBIDDEN: { http: 403, retryable: false, title: "Not allowed" },
  INVITATION_INVALID: { http: 403, retryable: false, title: "The invitation code is invalid" },
  INVITATION_EXPIRED: { http: 410, retryable: false, title: "The invitation has expired" },
  INVITATION_USED: { http: 409, retryable: false, title: "The invitation was already used" },
  INVITATION_REVOKED: { http: 410, retryable: false, title: "The invitation was revoked" },
  DEVICE_REVOKED: { http: 403, retryable: false, title: "The device was revoked" },
  CHALLENGE_INVALID: { http: 401, retryable: false, title: "The challenge response is invalid" },
  REPLAYED_REQUEST: { http: 401, retryable: false, title: "The request was already used" },

  // Wire format (vsock frames)
  FRAME_MALFORMED: { http: 400, retryable: false, title: "Malformed frame" },
  FRAME_TOO_LARGE: { http: 413, retryable: false, title: "Frame exceeds the maximum size" },
  FRAME_TRUNCATED: { http: 400, retryable: false, title: "Frame is truncated" },
  FRAME_UNSUPPORTED_VERSION: { http: 400, retryable: false, title: "Unsupported frame version" },

  // Sealed envelopes
  ENVELOPE_MALFORMED: { http: 400, retryable: false, title: "Malformed envelope" },
  ENVELOPE_AUTH_FAILED: { http: 400, retryable: false, title: "Envelope authentication failed" },
  ENVELOPE_REPLAYED: { http: 400, retryable: false, title: "Envelope replayed or too old" },
  ENVELOPE_WRONG_DIRECTION: { http: 400, retryable: false, title: "Envelope sent in the wrong direction" },
  ENVELOPE_WRONG_REQUEST: { http: 400, retryable: false, title: "Envelope answers another request" },
  ENVELOPE_UNSOLICITED: { http: 400, retryable: false, title: "Envelope answers no pending request" },

  // Session handshake (device ⇄ enclave)
  HANDSHAKE_MALFORMED: { http: 400, retryable: false, title: "Malformed handshake message" },
  HANDSHAKE_FAILED: { http: 400, retryable: false, title: "Handshake authentication failed" },

  // Attestation and releases
  ATTESTATION_INVALID: { http: 400, retryable: false, title: "Attestation document is invalid" },
  ATTESTATION_UNTRUSTED: { http: 403, retryable: false, title: "Attestation does not chain to a trusted root" },
  ATTESTATION_STALE: { http: 400, retryable: false, title: "Attestation is too old or has the wrong nonce" },
  PCR_NOT_APPROVED: { http: 403, retryable: false, title: "Enclave measurements are not in an active release" },
  MANIFEST_INVALID: { http: 400, retryable: false, title: "PCR manifest is invalid" },
  MANIFEST_ROLLBACK: { http: 400, retryable: false, title: "PCR manifest serial is older than one already seen" },
  MANIFEST_THRESHOLD: {
    http: 400,
    retryable: false,
    title: "PCR manifest lacks signatures of the release key threshold (M keys of distinct owners)",
  },
  MANIFEST_FORK: { http: 400, retryable: false, title: "PCR manifest does not extend the manifest already seen" },
  MANIFEST_GAP: {
    http: 400,
    retryable: true,
    title: "PCR manifest is several serials ahead; the manifests between are needed",
  },
  MANIFEST_ACTIVATION_DELAY: {
    http: 400,
    retryable: false,
    title: "PCR manifest lists a release that activates before the activation delay",
  },
  MANIFEST_EXPIRED: { http: 400, retryable: false, title: "PCR manifest has expired" },

  // Vault
  VAULT_LOCKED: { http: 423, retryable: false, title: "The vault is locked" },
  VAULT_NOT_INITIALIZED: { http: 409, retryable: false, title: "The vault is not initialized" },
  VAULT_ALREADY_INITIALIZED: { http: 409, retryable: false, title: "The vault is already initialized" },
  VAULT_ID_MISMATCH: { http: 403, retryable: false, title: "The vault id does not commit to this device's keys" },
  PIN_INCORRECT: { http: 401, retryable: false, title: "The PIN is incorrect" },
  PIN_LOCKED_OUT: { http: 423, retryable: true, title: "Too many wrong PINs; wait before trying again" },
  PIN_ATTEMPTS_EXHAUSTED: { http: 423, retryable: false, title: "Too many wrong PINs; the PIN no longer unlocks" },
  STALE_STATE: { http: 409, retryable: true, title: "The state version is older than one already seen" },
  VERSION_CONFLICT: { http: 409, retryable: true, title: "The object changed since it was read" },
  LEASE_LOST: { http: 409, retryable: true, title: "Another runtime serves the vault now" },
  STATE_INVALID: { http: 502, retryable: false, title: "The stored vault state failed verification" },
  AUDIT_INVALID: { http: 502, retryable: false, title: "The vault's audit log failed verification" },
  SYNC_INVALID: { http: 502, retryable: false, title: "The vault's change events failed verification" },
  CHANGES_TRUNCATED: {
    http: 410,
    retryable: false,
    title: "The changes since that sequence are no longer kept; list the items again",
  },
  PAIRING_INVALID: { http: 403, retryable: false, title: "The pairing proof is wrong; the attempt was counted" },
  PAIRING_EXPIRED: { http: 410, retryable: false, title: "No pairing is open: none started, expired or used up" },
  PAIRING_CODE_INVALID: { http: 400, retryable: false, title: "The pairing code is malformed or mistyped" },
  BACKUP_INVALID: {
    http: 400,
    retryable: false,
    title: "The backup is malformed, or does not open with this recovery secret",
  },
  RECOVERY_UNAVAILABLE: {
    http: 409,
    retryable: false,
    title: "The backup cannot be restored: no record of it, restored too often, or another recovery waits",
  },
  RECOVERY_SECRET_INCORRECT: { http: 403, retryable: false, title: "That is not the vault's recovery secret" },
  RECOVERY_PENDING: { http: 409, retryable: true, title: "The recovery waits for its delay to pass" },
  VAULT_RECOVERED: {
    http: 410,
    retryable: false,
    title: "The vault was recovered into another vault and opens no more",
  },
  VAULT_IDENTITY_MISMATCH: {
    http: 403,
    retryable: false,
    title: "The vault's identity key is not the one the pairing code names",
  },

  // Upstreams and transport
  UNAVAILABLE: { http: 503, retryable: true, title: "A dependency is unavailable" },
  TIMEOUT: { http: 504, retryable: true, title: "The operation timed out" },
  CHANNEL_CLOSED: { http: 503, retryable: true, title: "The channel closed before the reply arrived" },
  OVERLOADED: { http: 503, retryable: true, title: "Too much work in flight" },
  CONFIG_INVALID: { http: 500, retryable: false, title: "Configuration is invalid" },
  INTERNAL: { http: 500, retryable: false, title: "Internal error" },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** True when `value` is one of the codes in {@link ERROR_CODES}. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(ERROR_CODES, value);
}
