import type {
  DeviceRecord,
  EnrollmentWrite,
  InvitationEnrollment,
  InvitationRecord,
  Page,
  RevocationState,
  VaultRecord,
} from "./records";

/** The reservation of a NATS key for a device (one device per key, ever). */
export interface NatsKeyReservation {
  natsPublicKey: string;
  deviceId: string;
  signingKey: string;
  invitationId: string;
}

/**
 * The persistence port of the REST edge. Every state change is conditional: a
 * method either applies its whole change or none of it and says why.
 */
export interface EdgeStore {
  /** Creates an invitation; false when its id already exists. */
  createInvitation(invitation: InvitationRecord): Promise<boolean>;
  getInvitation(invitationId: string): Promise<InvitationRecord | undefined>;
  listInvitations(options: { limit: number; cursor?: string }): Promise<Page<InvitationRecord>>;
  /** Marks an open invitation revoked; the record after the change, or undefined when it was not open. */
  revokeInvitation(invitationId: string, now: number): Promise<InvitationRecord | undefined>;
  /**
   * Reserves a NATS key for a device (conditional put). When the key is already
   * reserved, returns the existing reservation instead.
   */
  reserveNatsKey(reservation: NatsKeyReservation): Promise<{ reserved: boolean; existing: NatsKeyReservation }>;
  /** Drops a reservation, only if it still belongs to `deviceId`. */
  releaseNatsKey(natsPublicKey: string, deviceId: string): Promise<void>;
  /**
   * The enrollment's linearization point: marks the invitation used with its
   * enrollment, only if it is open and unexpired. Exactly one concurrent caller wins.
   */
  claimInvitation(invitationId: string, enrollment: InvitationEnrollment, now: number): Promise<boolean>;
  /**
   * Creates the user, vault and device records of a claimed enrollment; records
   * that already exist are kept (so a retry completes a partly written enrollment).
   */
  materializeEnrollment(write: EnrollmentWrite): Promise<void>;
  getDevice(deviceId: string): Promise<DeviceRecord | undefined>;
  getVault(vaultId: string): Promise<VaultRecord | undefined>;
  /**
   * Records the vault's identity key, once: true when it is now the stored one (also
   * when it already was); false when the vault does not exist or holds another key.
   */
  setVaultIdentityKey(vaultId: string, identityKey: string): Promise<boolean>;
  /** Marks an active device revoked; false when it was already revoked or does not exist. */
  revokeDevice(deviceId: string, now: number): Promise<boolean>;
  /** Records a single-use nonce until `expiresAtSeconds`; false when it was seen before. */
  useNonce(scope: string, nonce: string, expiresAtSeconds: number): Promise<boolean>;
  /**
   * Counts one attempt in a fixed window; false when the window already holds `max`.
   * The counter expires (TTL) with the window.
   */
  countAttempt(bucket: string, windowSeconds: number, max: number, now: number): Promise<boolean>;
  getRevocations(): Promise<RevocationState>;
  /** Writes revocations if the stored version is still `expectedVersion`; false otherwise. */
  putRevocations(revocations: Record<string, number>, expectedVersion: number): Promise<boolean>;
  /** The live host with the fewest vaults, or undefined when none heartbeats. */
  pickHost(now: number): Promise<string | undefined>;
}
