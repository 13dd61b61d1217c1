/**
 * The device ⇄ enclave session handshake (docs/protocol.md §Session handshake,
 * docs/decisions/0054): Noise IK over the enclave's attested static keys, hybrid with
 * ML-KEM-768, giving `SessionKeys` and a session id for lib/envelope. Pure functions:
 * the caller moves the two messages over NATS.
 */
export {
  encodeHandshakeUserData,
  generateEnclaveHandshakeKeys,
  handshakeKeyDigest,
  parseHandshakeUserData,
  verifyAttestedHandshakeKeys,
} from "./attested-keys";
export {
  HANDSHAKE_KEYS_DIGEST_BYTES,
  HANDSHAKE_KEYS_PURPOSE,
  HANDSHAKE_USER_DATA_BYTES,
  HANDSHAKE_VERSION,
  MAX_MESSAGE1_BYTES,
  MAX_MESSAGE2_BYTES,
  MAX_PAYLOAD_BYTES,
  MESSAGE1_FIXED_BYTES,
  MESSAGE2_FIXED_BYTES,
  PROLOGUE_LABEL,
  PROTOCOL_NAME,
} from "./constants";
export { USER_DATA_REASONS, type UserDataReason } from "./errors";
export {
  type AcceptHandshakeOptions,
  type DeviceHandshake,
  deviceKeyIn,
  type HandshakeRequest,
  type InitiateHandshakeOptions,
  initiateHandshake,
  type ReadHandshakeRequestOptions,
  readHandshakeRequest,
} from "./ik-hybrid";
export { attestationDigest, handshakePrologue } from "./prologue";
export type {
  EnclaveHandshakeKeys,
  EnclaveHandshakePublicKeys,
  HandshakeContext,
  HandshakeSession,
  X25519KeyPair,
} from "./types";
