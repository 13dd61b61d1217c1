/**
 * Pairing a new device with a vault (docs/protocol.md §Pairing): the transcript, the
 * proof of the pairing secret, the short authentication string, device fingerprints
 * and the pairing code that carries an edge invitation and the secret. Pure
 * functions, shared by the enclave and the device.
 */

export { encodePairingCode, identityFingerprint, type PairingCode, parsePairingCode } from "./code";
export {
  FINGERPRINT_BYTES,
  HANDSHAKE_HASH_BYTES,
  IDENTITY_FINGERPRINT_BYTES,
  PAIRING_CODE_SYMBOLS,
  PAIRING_LABELS,
  PAIRING_PROOF_BYTES,
  PAIRING_SECRET_BYTES,
  PAIRING_VERSION,
  SAS_DIGITS,
} from "./constants";
export { signRevocationStatement, verifyRevocationStatement } from "./revocation";
export {
  encodeRevocationStatement,
  MAX_STATEMENT_BYTES,
  parseRevocationStatement,
  REVOCATION_LABEL,
  type RevocationStatement,
} from "./revocation-statement";
export {
  deviceFingerprint,
  type PairingTranscriptInput,
  pairingProof,
  pairingSas,
  pairingTranscript,
  proofsEqual,
} from "./transcript";
