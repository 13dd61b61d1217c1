/**
 * Sealed envelopes between a device and its vault enclave (docs/protocol.md §Sealed envelopes):
 * X25519 key agreement, XChaCha20-Poly1305-IETF, associated data binding
 * (vault, device, session, direction, counter and, for answers, the request answered),
 * the op inside the ciphertext, padding to size buckets, and a replay window.
 */
export {
  DEFAULT_WINDOW_SIZE,
  DIGEST_BYTES,
  DIRECTIONS,
  ENVELOPE_VERSION,
  MAX_ENVELOPE_BYTES,
  MAX_OP_LENGTH,
  MAX_PLAINTEXT_BYTES,
  NONCE_BYTES,
  PADDING_BUCKETS,
} from "./constants";
export {
  associatedData,
  envelopeDigest,
  type OpenParams,
  openEnvelope,
  type SealParams,
  sealEnvelope,
} from "./envelope";
export { type EnvelopeHeader, parseEnvelopeHeader } from "./header";
export { paddedLength, padInner, unpadInner } from "./padding";
export { ReplayWindow } from "./replay-window";
export { SealedChannel, type SealedChannelOptions } from "./sealed-channel";
export { deriveSessionKeys, type SessionRole } from "./session-keys";
export type {
  Direction,
  EnvelopeContext,
  OpenedAnswer,
  OpenedEnvelope,
  OpenedRequest,
  PendingRequest,
  RequestRef,
  SealedRequest,
  SessionKeys,
} from "./types";
