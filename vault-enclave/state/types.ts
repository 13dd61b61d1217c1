/**
 * The decoded sealed state of one vault (docs/decisions/0055): what the runtime works
 * with once a blob has been opened. Format-independent: every format file decodes to
 * these types and encodes from them. Times are milliseconds since the Unix epoch;
 * versions and counters are non-negative safe integers (u64 on the wire).
 */
import type { ITEM_TYPES } from "./constants";

/** The type of a vault item: a login credential, a secret, a note or a profile field. */
export type ItemType = (typeof ITEM_TYPES)[number];

/** One item of the vault. Names are unique within a vault. */
export interface VaultItem {
  name: string;
  type: ItemType;
  value: Uint8Array;
  /** 1 when created, one more on every change. */
  version: number;
  createdAt: number;
  updatedAt: number;
}

/** A device allowed to open sessions to this vault (DESIGN.md §4, "Which devices may open a vault"). */
export interface DeviceKey {
  deviceId: string;
  /** Ed25519 public key the device authenticates with. */
  signingPublicKey: Uint8Array;
  /** X25519 public key of the device's static session key. */
  x25519PublicKey: Uint8Array;
  addedAt: number;
  /** What the person calls the device; shown in device lists. */
  label: string;
  /**
   * Its last successful unlock, recorded in the write that resets the PIN counter (so
   * it costs no write of its own); null until one is recorded (and in format 1).
   */
  lastUsedAt: number | null;
  /** The short authentication string of the pairing that added it; null for the founding device (and in format 1). */
  sas: string | null;
}

/**
 * A device that proved a pairing secret (docs/protocol.md §Pairing) and waits for an
 * authorized device to approve it with the PIN. It opens nothing: only
 * {@link OuterState.devices} authorizes a session. Format 2 only.
 */
export interface PendingDevice {
  deviceId: string;
  /** The keys that proved the secret: the X25519 key its session authenticated, the Ed25519 key the proof binds. */
  signingPublicKey: Uint8Array;
  x25519PublicKey: Uint8Array;
  /** When it proved the secret. */
  addedAt: number;
  label: string;
  /** The short authentication string of its pairing (6 digits), shown to the approving device. */
  sas: string;
}

/** Argon2id v1.3 cost parameters, as libsodium's `crypto_pwhash` takes them. */
export interface Argon2idParams {
  opsLimit: number;
  /** Bytes; a multiple of 1 KiB (Argon2 counts memory in KiB). */
  memLimitBytes: number;
}

/** What the outer layer keeps of the PIN: enough to check a PIN, nothing to recover one. */
export interface PinRecord {
  /** Argon2id salt, fresh for every PIN set. */
  salt: Uint8Array;
  kdf: Argon2idParams;
  /** BLAKE2b-256 keyed with the PIN key over a label (keys.ts `pinVerifier`). */
  verifier: Uint8Array;
}

/** Failed PIN attempts since the last success (pin-attempts.ts). */
export interface PinAttemptState {
  failures: number;
  /** No attempt is allowed before this time; null when no back-off is running. */
  lockedUntil: number | null;
  lastFailureAt: number | null;
}

/**
 * The outer layer's reference to the inner layer: which inner format it is, the state
 * version at which it was last sealed (bound into the inner layer's associated data)
 * and the BLAKE2b-256 digest of its nonce and ciphertext.
 */
export interface InnerRef {
  format: number;
  version: number;
  digest: Uint8Array;
}

/**
 * The outer layer: sealed with a key derived from the vault root key alone, so the
 * enclave can read and rewrite it without the PIN (to count an attempt before checking
 * it, to list devices of a locked vault).
 */
export interface OuterState {
  vaultId: string;
  /** Strictly increasing on every write of the blob. */
  stateVersion: number;
  pin: PinRecord;
  attempts: PinAttemptState;
  devices: DeviceKey[];
  /** Devices that proved a pairing secret and wait for approval; none is authorized (format 2). */
  pending: PendingDevice[];
  /** The audit log's head: its newest entries and where the chain stands (audit-log.ts). */
  audit: AuditLog;
  /** Backups exported and restores counted against them, and a recovery waiting for its delay (format 3). */
  recovery: RecoveryState;
  /** Where the vault's change events stand (format 4; lib/vault-sync, docs/decisions/0073). */
  changes: ChangeHead;
  inner: InnerRef;
}

/**
 * The head of a vault's change events (docs/decisions/0073): the sequence number the
 * next event takes and the chain digest after the last committed one (the genesis
 * digest before any). An event is committed when a state naming it as head is.
 */
export interface ChangeHead {
  nextSeq: number;
  head: Uint8Array;
  /** The change log's position of the last committed event (0 before any): where a reader may start. */
  position: number;
}

/**
 * A backup this vault exported (docs/decisions/0068): restorable while its record is
 * kept (the newest `MAX_BACKUP_RECORDS`), into at most `MAX_RESTORES_PER_BACKUP`
 * vaults, each counted here before the restored vault is written.
 */
export interface BackupRecord {
  /** Random, 16 bytes; the backup file carries it in its authenticated header. */
  backupId: Uint8Array;
  exportedAt: number;
  /** The vaults it was restored into, in order (a retry into the same vault counts once). */
  restoredInto: string[];
}

/** A recovery asked for with one of this vault's backups, waiting for its delay to pass. */
export interface PendingRecovery {
  backupId: Uint8Array;
  /** The fresh vault the backup is to be restored into. */
  targetVaultId: string;
  requestedAt: number;
  /** It completes no earlier than this; until then any unlocked device of this vault can cancel it. */
  readyAt: number;
}

/** The outer layer's recovery record (format 3; empty when read from an older format). */
export interface RecoveryState {
  backups: BackupRecord[];
  pending: PendingRecovery | null;
  /**
   * The vault a completed recovery moved this one into (the first such), or null.
   * Once set, this vault answers `vault.status` only: the lost devices that still
   * hold it open nothing (docs/decisions/0068).
   */
  recoveredInto: string | null;
  /**
   * The attempts at the backup's PIN when a recovery completes, counted apart from the
   * unlock attempts (same back-off and lock-out), so that wrong unlocks by a device
   * without the PIN never close the vault's recovery; reset only by a right PIN at recovery (start or completion).
   */
  attempts: PinAttemptState;
}

/**
 * The audit log as the outer layer keeps it (docs/decisions/0058): the newest entries
 * and the chain digest before them. Older entries live in sealed segments of exactly
 * `AUDIT_SEGMENT_ENTRIES` entries each (audit-segment.ts), segment `k` holding
 * `k·N + 1 … (k + 1)·N`, so the tail always starts right after a segment boundary.
 */
export interface AuditLog {
  /** Sequence number of the next entry: 1 for an empty log. */
  nextSeq: number;
  /** Chain digest before the first tail entry: `digest_0`, or the end of the last segment. */
  base: Uint8Array;
  /** The newest entries, oldest first, as encoded (lib/vault-audit); the first has seq `nextSeq − tail.length`. */
  tail: Uint8Array[];
}

/** A device record of format 1: without last use and pairing. */
export type DeviceKeyV1 = Omit<DeviceKey, "lastUsedAt" | "sas">;

/**
 * The outer layer of a format that holds no audit log and no pending devices
 * (format 1): opened as an empty log, no pending device, and no last use or pairing
 * recorded for its devices.
 */
export type OuterWithoutAudit = Omit<OuterState, "audit" | "pending" | "devices" | "recovery" | "changes"> & {
  devices: DeviceKeyV1[];
};

/** The outer layer of format 2: everything but the recovery record and the change head. */
export type OuterWithoutRecovery = Omit<OuterState, "recovery" | "changes">;

/** The outer layer of format 3: everything but the change head. */
export type OuterWithoutChanges = Omit<OuterState, "changes">;

/** An outer state before sealing: the sealer fills in the inner reference. */
export type OuterFields = Omit<OuterState, "inner">;

/** The inner layer: sealed with a key that needs both the root key and the PIN key. */
export interface InnerState {
  items: VaultItem[];
  /** The vault's Ed25519 identity secret key (libsodium form, 64 bytes); never leaves the enclave. */
  identitySecretKey: Uint8Array;
  /**
   * The recovery key (32 bytes): BLAKE2b of the recovery secret shown once at init
   * (lib/recovery `recoveryKey`), which every backup's key needs besides a KMS data key
   * (backup.ts, docs/decisions/0068); null for a vault made before recovery existed.
   */
  recoveryKey: Uint8Array | null;
}

/** One AEAD-sealed layer as stored. */
export interface SealedLayer {
  nonce: Uint8Array;
  /** Ciphertext with its 16-byte Poly1305 tag. */
  ciphertext: Uint8Array;
}

/**
 * A parsed state blob: its layout checked, nothing authenticated yet. `stateVersion`
 * is the header's claim; it is trusted only once {@link OuterState} has been opened.
 */
export interface SealedState {
  formatVersion: number;
  stateVersion: number;
  /** The KMS `CiphertextBlob` of the vault root key (decrypt with `{vault: vaultId}`). */
  kmsCiphertextBlob: Uint8Array;
  outer: SealedLayer;
  inner: SealedLayer;
}

/**
 * One stored format, as index.ts dispatches to it by the blob's version byte (and to
 * its inner layer by the outer layer's `inner.format`). Keys arrive derived; the
 * format checks layout, associated data and payloads.
 */
/**
 * A blob just sealed, with what opening it would give back: the parsed layout and
 * the outer layer as sealed (its inner reference filled in), so the writer keeps
 * them without opening its own blob again.
 */
export interface WrittenState {
  bytes: Uint8Array;
  sealed: SealedState;
  outer: OuterState;
}

export interface StateFormat {
  /** The blob's version byte. */
  readonly version: number;
  /** The inner payload format this format writes. */
  readonly innerFormat: number;
  /** Reads the layout after the magic and version byte; authenticates nothing. */
  parse(bytes: Uint8Array): SealedState;
  /** Seals both layers into a new blob; the inner layer at `outer.stateVersion`. */
  seal(input: {
    vaultId: string;
    kmsCiphertextBlob: Uint8Array;
    outer: OuterFields;
    inner: InnerState;
    outerKey: Uint8Array;
    innerKey: Uint8Array;
  }): WrittenState;
  /** Seals a new outer layer over `previous`'s inner layer, kept byte for byte. */
  resealOuter(previous: SealedState, outer: OuterState, outerKey: Uint8Array): WrittenState;
  /** Whether the outer layer holds the audit log; a format that does not opens as an empty log. */
  readonly holdsAudit: boolean;
  /** Whether the outer layer holds the recovery record; a format that does not opens with an empty one. */
  readonly holdsRecovery: boolean;
  /** Whether the outer layer holds the change head; a format that does not opens with none recorded. */
  readonly holdsChanges: boolean;
  openOuter(
    sealed: SealedState,
    vaultId: string,
    outerKey: Uint8Array,
  ): OuterState | OuterWithoutChanges | OuterWithoutRecovery | OuterWithoutAudit;
  /** Opens an inner layer of {@link innerFormat}, sealed at `innerVersion`. */
  openInner(layer: SealedLayer, innerVersion: number, vaultId: string, innerKey: Uint8Array): InnerState;
}
