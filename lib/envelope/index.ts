/**
 * Sealed envelopes between a device and its vault enclave (docs/protocol.md §Envelopes):
 * X25519 key agreement, XChaCha20-Poly1305-IETF, associated data binding
 * (vault, device, session, direction, counter, op), and a replay window.
 */
export {
  DEFAULT_WINDOW_SIZE,
  DIRECTIONS,
  ENVELOPE_VERSION,
  MAX_OP_LENGTH,
  MAX_PLAINTEXT_BYTES,
  NONCE_BYTES,
} from "./constants";
export {
  associatedData,
  type OpenParams,
  openEnvelope,
  parseEnvelopeHeader,
  type SealParams,
  sealEnvelope,
} from "./envelope";
export { ReplayWindow } from "./replay-window";
export { SealedChannel, type SealedChannelOptions } from "./sealed-channel";
export { deriveSessionKeys, type SessionRole } from "./session-keys";
export type { Direction, EnvelopeContext, OpenedEnvelope, SessionKeys } from "./types";
