/** Records of the edge's single DynamoDB table (docs/protocol.md §Storage). */

/** Invitation states; `open` is the only one that can change. */
export const INVITATION_STATUS = { open: "open", used: "used", revoked: "revoked" } as const;
export type InvitationStatus = (typeof INVITATION_STATUS)[keyof typeof INVITATION_STATUS];

/**
 * What an invitation was used for. Written with the claim, so that every record
 * of the enrollment can be (re)created from it if a retry finds some missing.
 */
export interface InvitationEnrollment {
  userId: string;
  deviceId: string;
  vaultId: string;
  /** Salt of the vault id's commitment to the founding device's keys (base64url, lib/vault-id). */
  vaultSalt?: string;
  signingKey: string;
  exchangeKey: string;
  natsPublicKey: string;
  hostId: string | null;
  name?: string;
  /** For a device that joined by a pairing invitation: the device that asked for it. */
  invitedBy?: string;
}

/**
 * What a pairing invitation binds: a device of the vault asked for it, and the device
 * that enrolls with it joins that user and vault (docs/decisions/0062). It grants the
 * new device NATS access to the vault's subjects only; the enclave decides whether the
 * device opens anything.
 */
export interface InvitationPairing {
  userId: string;
  vaultId: string;
  /** The device that asked for the invitation; it must still be active when it is used. */
  deviceId: string;
}

/** A single-use invitation. The code itself is never stored, only its derived id. */
export interface InvitationRecord {
  invitationId: string;
  status: InvitationStatus;
  createdAt: number;
  /** ms since the epoch. */
  expiresAt: number;
  note?: string;
  createdBy: string;
  usedAt?: number;
  revokedAt?: number;
  /** Set when used: the enrollment it created (for idempotent retries by the same device). */
  enrollment?: InvitationEnrollment;
  /** Set for a pairing invitation: the vault the enrolling device joins. */
  pairing?: InvitationPairing;
}

export const DEVICE_STATUS = { active: "active", revoked: "revoked" } as const;
export type DeviceStatus = (typeof DEVICE_STATUS)[keyof typeof DEVICE_STATUS];

/** A device's public keys; it grants NATS access only, never vault access (DESIGN.md §4). */
export interface DeviceRecord {
  deviceId: string;
  userId: string;
  vaultId: string;
  /** For the device that founded the vault: the salt of the vault id's commitment (base64url). */
  vaultSalt?: string;
  /** Ed25519 public key, base64url of the 32 raw bytes. */
  signingKey: string;
  /** X25519 public key, base64url of the 32 raw bytes. */
  exchangeKey: string;
  /** The device's NATS user nkey (`U…`). */
  natsPublicKey: string;
  status: DeviceStatus;
  createdAt: number;
  revokedAt?: number;
  name?: string;
  /** For a device that joined by a pairing invitation: the device that asked for it. */
  invitedBy?: string;
}

export interface UserRecord {
  userId: string;
  createdAt: number;
  invitationId: string;
}

export interface VaultRecord {
  vaultId: string;
  userId: string;
  /** The host the vault is assigned to; `null` until a host registers. */
  hostId: string | null;
  stateVersion: number;
  createdAt: number;
  /**
   * The vault's Ed25519 identity public key (base64url), registered once by the
   * founding device after `vault.init`; what peer revocations are verified against.
   */
  identityKey?: string;
}

/** The records of one enrollment, created after the invitation was claimed. */
export interface EnrollmentWrite {
  invitationId: string;
  now: number;
  user: UserRecord;
  device: DeviceRecord;
  vault: VaultRecord;
}

/** NATS account revocations and the version they were written at (optimistic locking). */
export interface RevocationState {
  revocations: Record<string, number>;
  version: number;
}

/** A page of a listing. */
export interface Page<T> {
  items: T[];
  cursor?: string;
}
