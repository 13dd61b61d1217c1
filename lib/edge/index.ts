/** REST edge use cases (enrollment, invitations, pairing invitations, credentials, revocation) and the REST contract. */
export type { EdgeContext } from "./context";
export { issueNatsCredentials, vaultSubjects } from "./credentials";
export { authenticateDevice, type SignedRequest } from "./device-auth";
export { REVOCATION_GRACE_SECONDS, type Revoker, revokeDevice } from "./device-revocation";
export { enroll } from "./enrollment";
export {
  generateInvitationCode,
  INVITATION_CODE_PATTERN,
  invitationIdFromCode,
  normalizeInvitationCode,
} from "./invitation-code";
export { createInvitation, listInvitations, revokeInvitation, toInvitation } from "./invitations";
export { createPairingInvitation, PAIRING_INVITATION_TTL_SECONDS } from "./pairing-invitations";
export { limitAttempts, RATE_LIMITS } from "./rate-limits";
export { refreshCredentials } from "./refresh";
export * from "./schemas";
export {
  canonicalSignedMessage,
  ed25519PrivateKey,
  ed25519PublicKey,
  isFresh,
  SIGNED_PURPOSES,
  SIGNED_REQUEST_WINDOW_SECONDS,
  type SignedPurpose,
  type SignedRequestFields,
  signRequest,
  verifyRequestSignature,
} from "./signed-request";
export { sourceKey } from "./source-address";
export { registerVaultIdentity, requireVaultRevocation } from "./vault-identity";
