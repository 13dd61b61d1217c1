import { randomBytes, sodium } from "../../lib/crypto";
import { VettidError } from "../../lib/errors";
import { signRevocationStatement } from "../../lib/pairing";
import { RECOVERY_SECRET_BYTES, recoveryKey } from "../../lib/recovery";
import { AUDIT_KINDS, type AuditEvent, auditChainEnd, MAX_AUDIT_PAGE } from "../../lib/vault-audit";
import { isVaultIdFor } from "../../lib/vault-id";
import {
  type FoundingOpening,
  opensVaultId,
  PAIRING_SESSION_OPS,
  type VaultRequest,
  type VaultResults,
} from "../../lib/vault-protocol";
import { type ChangeEvent, encodeChangeEvent, MAX_CHANGES_PAGE, SYNC_KINDS, syncChainStep } from "../../lib/vault-sync";
import type { RuntimePorts } from "../runtime/ports";
import type { KeyedSemaphore } from "../runtime/semaphore";
import type { Session, Sessions } from "../session/sessions";
import {
  type Argon2idParams,
  AUDIT_SEGMENT_ENTRIES,
  type AuditSegmentContent,
  appendAudit,
  assertNotOlder,
  auditHead,
  auditSegmentBlobKey,
  BACKUP_ID_BYTES,
  type BackupContent,
  backupKmsContext,
  beginPinAttempt,
  type ChangeHead,
  completePinAttempt,
  createPinRecord,
  DEFAULT_ARGON2ID,
  derivePinKey,
  emptyAuditLog,
  type InnerState,
  layerDigest,
  NO_PIN_FAILURES,
  NO_RECOVERY,
  noChanges,
  type OuterFields,
  type OuterState,
  openAuditSegment,
  openBackup,
  openInner,
  openOuter,
  type ParsedBackup,
  PinIncorrect,
  type PinRecord,
  parseBackup,
  parseStateBlob,
  resealOuterParts,
  type SealedState,
  STATE_REJECTIONS,
  StateInvalid,
  sealAuditSegment,
  sealBackup,
  sealStateParts,
  segmentFirstSeq,
  stateBlobKey,
  tailFirstSeq,
  type VaultItem,
  verifyPin,
  type WrittenState,
  wipe,
} from "../state";
import type { ChangeLog } from "../sync/change-log";
import { readChanges } from "../sync/read-changes";
import { changeKey, sealChange } from "../sync/sealed-change";
import { assertWitnessed, sameWitnessed, type VersionWitness, type WitnessedFields } from "../witness/witness";
import {
  addPending,
  approvePending,
  assertCanAddPending,
  deviceAnswer,
  listDevices,
  markUsed,
  removeDevice,
} from "./devices";
import { PairingOffer } from "./pairing-offer";
import {
  assertRecoveryReady,
  backupIdHex,
  beginRecoveryPinAttempt,
  cancelRecovery,
  markRestored,
  recordExport,
  requestRecovery,
} from "./recovery-record";

/** An opened inner layer and its PIN key across a reload, with what they belong to. */
interface Carried {
  /** The opened inner layer and PIN key, when some session held an unlock. */
  inner: InnerState | undefined;
  pinKey: Uint8Array | undefined;
  innerDigest: Uint8Array;
  verifier: Uint8Array;
  /** The devices the cached state listed. */
  deviceIds: string[];
}

/** `Omit` over each member of a union. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** The vault as loaded: the blob's parts, its store version, and the keys opened inside. */
interface Loaded {
  sealed: SealedState;
  /** The blob store's version of the object (its ETag): the next write is conditional on it. */
  blobVersion: string;
  outer: OuterState;
  rootKey: Uint8Array;
  /** Open while some session holds an unlock; wiped when the last one locks or lapses. */
  inner: InnerState | undefined;
  pinKey: Uint8Array | undefined;
  /**
   * The chain digest before each audit segment opened so far, by its first sequence
   * number: the trusted end of the segment before it (segments never change once
   * a state drops their entries from the tail, so this holds across writes).
   */
  auditStarts: Map<number, Uint8Array>;
}

/** What a {@link VaultSlot} needs from the runtime. */
export interface VaultSlotDeps {
  ports: Pick<RuntimePorts, "kms" | "blobs" | "now"> & {
    witness?: VersionWitness | undefined;
    changes?: ChangeLog | undefined;
  };
  sessions: Sessions;
  /** Bounds Argon2id work by memory and per device (vault-enclave/runtime/limits). */
  argon2: KeyedSemaphore;
  /** Argon2id cost of new PIN records (tests pass a small one; production the default). */
  argon2Params?: Argon2idParams;
  /**
   * Another vault's slot, for a recovery (the backup's source vault). The runtime
   * holds that vault's mutex as well as this one's while a recovery operation runs.
   */
  peer: (vaultId: string) => VaultSlot;
  /** How long a recovery waits before it may complete (the measured configuration's; 24 h by default). */
  recoveryDelayMs: number;
}

type Results = VaultResults;

/**
 * One vault inside the runtime: its sealed state loaded through the blob channel,
 * opened with the KMS-released root key, changed only by its operations, and written
 * back with a conditional write before any answer says it happened. The runtime runs
 * a slot's operations one at a time (a per-vault mutex), so a state version is never
 * written twice.
 *
 * The highest state version this slot has seen is remembered: a host that serves an
 * older blob, or none, after a newer one is refused (`STALE_STATE`). With a version
 * witness (vault-enclave/witness), every write is recorded there before it is
 * acknowledged and every load is checked against it, so the same holds across
 * restarts and runtimes.
 */
export class VaultSlot {
  private loaded: Loaded | undefined;
  private seenVersion = 0;
  /** The witness's revision of this vault's record as last read or written (`null`: none yet). */
  private witnessRevision: number | null = null;
  /**
   * A cached state the blob store acknowledged but the witness did not record (it did
   * not answer): nothing acknowledged it to a device, and the next operation records it
   * before it does anything else.
   */
  private unwitnessed: WitnessedFields | undefined;
  /** Whether the running operation checked the cached state against the witness already. */
  private witnessChecked = false;
  /** Whether one of this vault's own operations is running ({@link run}). */
  private inRun = false;
  private lastUsedAt: number;
  /** The vault's open pairing, in memory only (pairing-offer.ts). */
  private readonly pairing: PairingOffer;

  constructor(
    readonly vaultId: string,
    private readonly deps: VaultSlotDeps,
  ) {
    this.lastUsedAt = deps.ports.now();
    this.pairing = new PairingOffer(deps.ports.now);
  }

  /** Whether the state is loaded (root key and outer layer in memory). */
  get isLoaded(): boolean {
    return this.loaded !== undefined;
  }

  /** Whether the inner layer is open (some session holds an unlock). */
  get isOpen(): boolean {
    return this.loaded?.inner !== undefined;
  }

  /**
   * Evicts the loaded state when no session of the vault is left and nothing ran for
   * `idleMs`; keeps the highest version seen, so an older blob is still refused after
   * the next load. Run it under the vault's mutex (never beside a running operation).
   * @returns whether it evicted.
   */
  evictIfIdle(idleMs: number): boolean {
    if (!this.loaded || this.deps.sessions.hasAny(this.vaultId)) return false;
    if (this.deps.ports.now() - this.lastUsedAt < idleMs) return false;
    this.evict();
    return true;
  }

  /** When an operation or a session admission last touched the vault. */
  get lastUsed(): number {
    return this.lastUsedAt;
  }

  /**
   * Evicts the loaded state under memory pressure: whenever no session of the vault is
   * unlocked (a locked session just loads the outer layer again on its next request).
   * Keeps the highest version seen. Run it under the vault's mutex.
   */
  evictUnlessUnlocked(): boolean {
    if (!this.loaded || this.deps.sessions.anyUnlocked(this.vaultId)) return false;
    this.evict();
    return true;
  }

  /** The state version last seen (0 before the vault exists). */
  get stateVersion(): number {
    return this.loaded?.outer.stateVersion ?? this.seenVersion;
  }

  /**
   * Whether a device may open a session, and which: while the vault does not exist,
   * only the key its id commits to, with the opening the founding device sends in its
   * handshake (it may ask for the status, initialize or recover into it); afterwards the
   * keys in the sealed device list
   * (`"device"`), and, only while a pairing is open, any other key for a session that
   * can do no more than prove the pairing secret (`"pairing"`).
   */
  async admits(
    deviceId: string,
    deviceKey: Uint8Array,
    opening?: FoundingOpening,
  ): Promise<"device" | "pairing" | "refused"> {
    this.lastUsedAt = this.deps.ports.now();
    const loaded = await this.load();
    // With no state yet, only the key the vault id commits to (the founding device, which
    // sends the opening): any other key would hold the new vault's lease and keep its
    // founder out (decision 0077).
    if (!loaded) return opening !== undefined && opensVaultId(this.vaultId, deviceKey, opening) ? "device" : "refused";
    if (this.listed(loaded, deviceId, deviceKey)) return "device";
    return this.pairing.isOpen ? "pairing" : "refused";
  }

  /** Whether `deviceId` with `deviceKey` is in the sealed device list (keys compared in constant time). */
  private listed(loaded: Loaded, deviceId: string, deviceKey: Uint8Array): boolean {
    const s = sodium();
    return loaded.outer.devices.some(
      (d) =>
        d.deviceId === deviceId &&
        d.x25519PublicKey.length === deviceKey.length &&
        s.memcmp(d.x25519PublicKey, deviceKey),
    );
  }

  /**
   * Runs one operation for `session` (already authenticated by its envelope). Once
   * the vault exists, the session's device must be in its sealed device list: a
   * session opened before `vault.init` (by any key) or by a device since removed is
   * ended here, so it can neither guess the PIN nor read anything.
   */
  async run(session: Session, request: VaultRequest): Promise<Results[VaultRequest["op"]]> {
    // one witness check per operation, however many times it loads the state (entries
    // outside an operation of this vault's own — a handshake, another vault's recovery —
    // read the witness each time)
    this.witnessChecked = false;
    this.inRun = true;
    try {
      return await this.runOperation(session, request);
    } finally {
      this.inRun = false;
      this.witnessChecked = false;
    }
  }

  private async runOperation(session: Session, request: VaultRequest): Promise<Results[VaultRequest["op"]]> {
    this.lastUsedAt = this.deps.ports.now();
    this.dropInnerIfUnused();
    const loaded = await this.load();
    if (loaded && !this.listed(loaded, session.deviceId, session.deviceKey)) {
      if (!session.pairingOnly) {
        this.deps.sessions.drop(session);
        throw new VettidError(
          "UNAUTHENTICATED",
          "this device is not authorized for the vault; attest and handshake again",
        );
      }
      if (!(PAIRING_SESSION_OPS as readonly string[]).includes(request.op)) {
        throw new VettidError("FORBIDDEN", "this device is not approved for the vault; it may only prove a pairing");
      }
    } else if (request.op === "device.pair.join") {
      throw new VettidError("FORBIDDEN", "an authorized device does not join its own vault");
    }
    const recoveredInto = loaded?.outer.recovery.recoveredInto;
    if (recoveredInto && request.op !== "vault.status") {
      throw new VettidError("VAULT_RECOVERED", `the vault was recovered into ${recoveredInto}; it opens no more`);
    }
    switch (request.op) {
      case "vault.status":
        return this.status(session);
      case "vault.init":
        return this.init(session, request.pin, request.signingKey, request.vaultSalt);
      case "vault.unlock":
        return this.unlock(session, request.pin);
      case "vault.lock":
        this.deps.sessions.markLocked(session);
        this.dropInnerIfUnused();
        return { stateVersion: this.stateVersion };
      case "pin.change":
        return this.changePin(session, request.pin, request.newPin);
      case "items.put":
        return this.putItem(session, request.name, request.type, request.value);
      case "items.get":
        return this.getItem(session, request.name);
      case "items.list": {
        const { inner, outer } = this.unlocked(session);
        return {
          stateVersion: outer.stateVersion,
          items: inner.items.map(({ name, type, version, updatedAt }) => ({ name, type, version, updatedAt })),
        };
      }
      case "items.delete":
        return this.deleteItem(session, request.name);
      case "identity.key": {
        const { inner, outer } = this.unlocked(session);
        return { stateVersion: outer.stateVersion, identityKey: identityPublicKey(inner) };
      }
      case "identity.sign": {
        const { inner, outer } = this.unlocked(session);
        const signature = sodium().crypto_sign_detached(request.challenge, inner.identitySecretKey);
        return { stateVersion: outer.stateVersion, signature, identityKey: identityPublicKey(inner) };
      }
      case "vault.audit":
        return this.auditPage(session, request.fromSeq ?? 1, request.limit ?? MAX_AUDIT_PAGE);
      case "vault.changes":
        return this.changesPage(session, request.fromSeq, request.cursor, request.limit ?? MAX_CHANGES_PAGE);
      case "device.pair.start":
        return this.startPairing(session, request.pin);
      case "device.pair.join":
        return this.joinPairing(session, request.signingKey, request.label, request.proof);
      case "device.approve":
        return this.approve(session, request.deviceId, request.pin);
      case "devices.list": {
        const outer = (await this.requireLoaded()).outer;
        return { stateVersion: outer.stateVersion, devices: listDevices(outer) };
      }
      case "device.revoke":
        return this.revoke(session, request.deviceId, request.pin);
      case "backup.export":
        return this.exportBackup(session, request.pin, request.recoverySecret);
      case "recovery.start":
        return this.startRecovery(session, request);
      case "recovery.complete":
        return this.completeRecovery(session, request);
      case "recovery.cancel":
        return this.cancelRecovery(session, request.pin, request.recoverySecret);
    }
  }

  /**
   * Exports a backup (docs/decisions/0068): needs this session's unlock and the current
   * PIN (counted). The backup is sealed under a fresh KMS data key of this vault's
   * (`{vault, purpose: "backup"}`) and the recovery key, and recorded in the outer
   * state before it is answered, so a restore can count against it.
   */
  private async exportBackup(
    session: Session,
    pin: string,
    recoverySecret: Uint8Array,
  ): Promise<Results["backup.export"]> {
    this.assertRecoverySecret(session, recoverySecret);
    await this.unlock(session, pin);
    const loaded = this.loaded as Loaded;
    const inner = loaded.inner as InnerState;
    const backupId = randomBytes(BACKUP_ID_BYTES);
    const exportedAt = this.deps.ports.now();
    const dataKey = await this.deps.ports.kms.generateDataKey(backupKmsContext(this.vaultId));
    let backup: Uint8Array;
    try {
      backup = sealBackup(
        { backupId, sourceVaultId: this.vaultId, exportedAt, kmsCiphertextBlob: dataKey.ciphertextBlob },
        { stateVersion: loaded.outer.stateVersion, pin: loaded.outer.pin, inner },
        { dataKey: dataKey.plaintext, recoveryKey: inner.recoveryKey as Uint8Array },
      );
    } finally {
      sodium().memzero(dataKey.plaintext);
    }
    await this.writeOuter(
      loaded,
      recordExport(loaded.outer, backupId, exportedAt),
      this.event(session, AUDIT_KINDS.backupExported, { backup: backupIdHex(backupId) }),
    );
    return { stateVersion: this.stateVersion, backup, backupId, exportedAt };
  }

  /**
   * Asks for a recovery into this fresh vault (docs/protocol.md §Recovery): only the
   * device the vault id commits to, with a backup that opens with its recovery secret
   * inside this enclave. The source vault records it as pending, ready after the
   * delay, and its devices see it in `vault.status` and can cancel it.
   */
  private async startRecovery(
    session: Session,
    request: Extract<VaultRequest, { op: "recovery.start" }>,
  ): Promise<Results["recovery.start"]> {
    await this.assertFreshFor(session, request.signingKey, request.vaultSalt);
    const { parsed, content } = await this.openRecoveryBackup(request.backup, request.recoverySecret);
    wipe(content.inner);
    const source = parsed.header.sourceVaultId;
    const readyAt = await this.deps
      .peer(source)
      .recordRecoveryRequest(session, parsed.header.backupId, this.vaultId, content.pin, request.pin);
    return { stateVersion: this.stateVersion, sourceVaultId: source, readyAt };
  }

  /**
   * Completes a recovery into this fresh vault once its delay passed: the backup's PIN
   * is checked, counted against the source vault's recovery attempts, and the restore
   * counted there (written) before this vault is created with the backup's items,
   * identity key and PIN, and this device as its only one.
   */
  private async completeRecovery(
    session: Session,
    request: Extract<VaultRequest, { op: "recovery.complete" }>,
  ): Promise<Results["recovery.complete"]> {
    await this.assertFreshFor(session, request.signingKey, request.vaultSalt);
    const { parsed, content } = await this.openRecoveryBackup(request.backup, request.recoverySecret);
    const source = parsed.header.sourceVaultId;
    const backup = backupIdHex(parsed.header.backupId);
    let pinKey: Uint8Array;
    try {
      pinKey = await this.deps
        .peer(source)
        .countRestore(session, parsed.header.backupId, this.vaultId, content.pin, request.pin);
    } catch (err) {
      wipe(content.inner);
      throw err;
    }
    const inner: InnerState = {
      items: content.inner.items,
      identitySecretKey: content.inner.identitySecretKey,
      recoveryKey: recoveryKey(request.recoverySecret),
    };
    await this.create(session, request.signingKey, content.pin, pinKey, inner, {
      at: this.deps.ports.now(),
      kind: AUDIT_KINDS.backupRestored,
      device: session.deviceId,
      detail: { backup, from: source, into: this.vaultId },
    });
    return {
      stateVersion: this.stateVersion,
      sourceVaultId: source,
      identityKey: identityPublicKey(inner),
      items: inner.items.length,
    };
  }

  /** Cancels the recovery waiting on this vault: this session's unlock and the current PIN (counted). */
  private async cancelRecovery(
    session: Session,
    pin: string,
    recoverySecret: Uint8Array,
  ): Promise<Results["recovery.cancel"]> {
    this.assertRecoverySecret(session, recoverySecret);
    cancelRecovery((await this.requireLoaded()).outer);
    await this.unlock(session, pin);
    const loaded = this.loaded as Loaded;
    const { outer, cancelled } = cancelRecovery(loaded.outer);
    await this.writeOuter(
      loaded,
      outer,
      this.event(session, AUDIT_KINDS.recoveryCancelled, {
        backup: backupIdHex(cancelled.backupId),
        into: cancelled.targetVaultId,
      }),
    );
    return { stateVersion: this.stateVersion };
  }

  /**
   * That `secret` is this vault's recovery secret (its key compared in constant time),
   * in an unlocked session: export and cancel need it beside the PIN, so a device held
   * with a watched PIN can neither stop the owner's recovery nor push the owner's
   * backups out of the vault's records.
   * @throws VettidError `VAULT_LOCKED`; `PRECONDITION_FAILED` for a vault with no
   *   recovery secret; `RECOVERY_SECRET_INCORRECT`.
   */
  private assertRecoverySecret(session: Session, secret: Uint8Array): void {
    const { inner } = this.unlocked(session);
    if (!inner.recoveryKey) {
      throw new VettidError(
        "PRECONDITION_FAILED",
        "this vault has no recovery secret (it was made before recovery existed); no backup can be opened without one",
      );
    }
    const key = recoveryKey(secret);
    try {
      if (!sodium().memcmp(key, inner.recoveryKey)) {
        throw new VettidError("RECOVERY_SECRET_INCORRECT", "that is not this vault's recovery secret");
      }
    } finally {
      sodium().memzero(key);
    }
  }

  /**
   * The source side of `recovery.start`, run by the target vault's slot under both
   * vaults' mutexes: records the pending recovery (or finds it recorded).
   * @returns when it may complete.
   */
  async recordRecoveryRequest(
    session: Session,
    backupId: Uint8Array,
    target: string,
    record: PinRecord,
    pin: string,
  ): Promise<number> {
    this.lastUsedAt = this.deps.ports.now();
    return this.deps.argon2.run(session.deviceId, async () => {
      const loaded = await this.load();
      if (!loaded) throw new VettidError("RECOVERY_UNAVAILABLE", "the backup's vault holds no state");
      // Refused before any PIN is checked: a request that could not be recorded costs no attempt.
      requestRecovery(loaded.outer, backupId, target, this.deps.ports.now(), this.deps.recoveryDelayMs);
      const { counted, pinKey } = await this.checkRecoveryPin(session, loaded, record, pin);
      sodium().memzero(pinKey);
      const decision = requestRecovery(
        { ...counted.outer, recovery: { ...counted.outer.recovery, attempts: { ...NO_PIN_FAILURES } } },
        backupId,
        target,
        this.deps.ports.now(),
        this.deps.recoveryDelayMs,
      );
      await this.writeOuter(
        counted,
        decision.kind === "write"
          ? decision.outer
          : {
              ...counted.outer,
              stateVersion: counted.outer.stateVersion + 1,
              recovery: { ...counted.outer.recovery, attempts: { ...NO_PIN_FAILURES } },
            },
        decision.kind === "write"
          ? this.event(session, AUDIT_KINDS.recoveryStarted, { backup: backupIdHex(backupId), into: target })
          : undefined,
      );
      return decision.readyAt;
    });
  }

  /**
   * Checks the backup's PIN for a recovery of this vault like an unlock: the attempt
   * counted in the recovery's own counter and written before the PIN is derived.
   * @throws PinIncorrect (the failure recorded), PinLockedOut, `PIN_ATTEMPTS_EXHAUSTED`.
   */
  private async checkRecoveryPin(
    session: Session,
    loaded: Loaded,
    record: PinRecord,
    pin: string,
  ): Promise<{ counted: Loaded; pinKey: Uint8Array }> {
    const pending = beginRecoveryPinAttempt(loaded.outer, this.deps.ports.now());
    await this.writeOuter(
      loaded,
      pending,
      this.event(session, AUDIT_KINDS.unlockAttempted, { failures: pending.recovery.attempts.failures }),
    );
    const counted = this.loaded as Loaded;
    const pinKey = derivePinKey(pin, record.salt, record.kdf);
    if (!verifyPin(record, pinKey)) {
      sodium().memzero(pinKey);
      await this.recordFailure(session, counted, counted.outer.recovery.attempts.failures);
      throw new PinIncorrect();
    }
    return { counted, pinKey };
  }

  /**
   * The source side of `recovery.complete`, under both vaults' mutexes: checks that the
   * recovery is ready, checks the backup's PIN like an unlock of this vault but in its
   * recovery attempts (the attempt counted and written first; recovery-record.ts
   * `beginRecoveryPinAttempt`), then counts the restore into `target` and writes that
   * before answering.
   * @returns the PIN key of the backup's PIN record, for the restored vault.
   */
  async countRestore(
    session: Session,
    backupId: Uint8Array,
    target: string,
    record: PinRecord,
    pin: string,
  ): Promise<Uint8Array> {
    this.lastUsedAt = this.deps.ports.now();
    return this.deps.argon2.run(session.deviceId, async () => {
      const loaded = await this.load();
      if (!loaded) throw new VettidError("RECOVERY_UNAVAILABLE", "the backup's vault holds no state");
      assertRecoveryReady(loaded.outer, backupId, target, this.deps.ports.now());
      // Counted in the recovery's own attempts, written before the PIN is checked.
      const { counted, pinKey } = await this.checkRecoveryPin(session, loaded, record, pin);
      await this.writeOuter(
        counted,
        markRestored(counted.outer, backupId, target),
        this.event(session, AUDIT_KINDS.backupRestored, {
          backup: backupIdHex(backupId),
          from: this.vaultId,
          into: target,
        }),
      );
      // The vault moved: its sessions end and its keys leave memory; it answers vault.status only.
      this.deps.sessions.dropVault(this.vaultId);
      this.pairing.void();
      this.evict();
      return pinKey;
    });
  }

  /**
   * A backup given for a recovery into this vault, opened inside the enclave: its data
   * key from KMS (`{vault: source, purpose: "backup"}`), then the payload with the
   * recovery key of `secret`. A wrong secret and an altered file look alike.
   */
  private async openRecoveryBackup(
    bytes: Uint8Array,
    secret: Uint8Array,
  ): Promise<{ parsed: ParsedBackup; content: BackupContent }> {
    const parsed = parseBackup(bytes);
    if (parsed.header.sourceVaultId === this.vaultId) {
      throw new VettidError("BACKUP_INVALID", "a backup is restored into a fresh vault, never its own");
    }
    if (secret.length !== RECOVERY_SECRET_BYTES) throw new VettidError("VALIDATION_FAILED", "recovery secret size");
    const dataKey = await this.deps.ports.kms.decrypt(
      parsed.header.kmsCiphertextBlob,
      backupKmsContext(parsed.header.sourceVaultId),
    );
    const key = recoveryKey(secret);
    try {
      return { parsed, content: openBackup(parsed, { dataKey, recoveryKey: key }) };
    } finally {
      sodium().memzero(dataKey);
      sodium().memzero(key);
    }
  }

  /**
   * That this vault does not exist yet and `session`'s device is the one its id
   * commits to: only that device may create it, by init or by a recovery.
   */
  private async assertFreshFor(session: Session, signingKey: Uint8Array, vaultSalt: Uint8Array): Promise<void> {
    if (await this.load()) throw new VettidError("VAULT_ALREADY_INITIALIZED", "the vault is already initialized");
    // Its X25519 key is the one the handshake authenticated.
    if (!isVaultIdFor(this.vaultId, { signingKey, exchangeKey: session.deviceKey }, vaultSalt)) {
      throw new VettidError("FORBIDDEN", "only the device the vault id commits to may initialize it");
    }
  }

  /**
   * Opens a pairing (docs/protocol.md §Pairing): changes who controls the vault, so it
   * needs this session's unlock and the current PIN in the same request, checked like
   * an unlock (counted first). The secret is drawn here and lives in memory only.
   */
  private async startPairing(session: Session, pin: string): Promise<Results["device.pair.start"]> {
    this.unlocked(session);
    await this.unlock(session, pin);
    const { secret, expiresAt } = this.pairing.open(identityPublicKey(this.unlocked(session).inner));
    return { stateVersion: this.stateVersion, secret, expiresAt };
  }

  /**
   * A new device proves the secret for its keys and this session; it is recorded as
   * pending, with the keys that proved it, and can open nothing until approved.
   */
  private async joinPairing(
    session: Session,
    signingKey: Uint8Array,
    label: string,
    proof: Uint8Array,
  ): Promise<Results["device.pair.join"]> {
    const loaded = await this.requireLoaded();
    assertCanAddPending(loaded.outer, session.deviceId);
    const sas = this.pairing.join(session, this.vaultId, signingKey, proof);
    const next = addPending(loaded.outer, {
      deviceId: session.deviceId,
      signingPublicKey: signingKey,
      x25519PublicKey: session.deviceKey,
      addedAt: this.deps.ports.now(),
      label,
      sas,
    });
    await this.writeOuter(loaded, next, this.event(session, AUDIT_KINDS.deviceAdded, {}));
    return { stateVersion: this.stateVersion };
  }

  /** Approves a pending device: this session's unlock and the current PIN (counted), then the device list grows. */
  private async approve(session: Session, deviceId: string, pin: string): Promise<Results["device.approve"]> {
    this.unlocked(session);
    const before = await this.requireLoaded();
    if (!before.outer.pending.some((d) => d.deviceId === deviceId)) {
      throw new VettidError("NOT_FOUND", "no device by that id waits for approval");
    }
    await this.unlock(session, pin);
    const loaded = this.loaded as Loaded;
    const { outer, device } = approvePending(loaded.outer, deviceId);
    await this.writeOuter(loaded, outer, this.event(session, AUDIT_KINDS.deviceApproved, { device: deviceId }));
    return { stateVersion: this.stateVersion, device: deviceAnswer(device, "authorized") };
  }

  /**
   * Removes a device (authorized or pending) with this session's unlock and the current
   * PIN (counted), ends its sessions, and answers a statement of the removal signed by
   * the vault's identity key, which the edge requires to revoke the device's NATS access.
   */
  private async revoke(session: Session, deviceId: string, pin: string): Promise<Results["device.revoke"]> {
    this.unlocked(session);
    const before = await this.requireLoaded();
    removeDevice(before.outer, deviceId);
    await this.unlock(session, pin);
    const loaded = this.loaded as Loaded;
    const revokedAt = this.deps.ports.now();
    await this.writeOuter(
      loaded,
      removeDevice(loaded.outer, deviceId),
      this.event(session, AUDIT_KINDS.deviceRevoked, { device: deviceId }),
    );
    this.deps.sessions.dropDevice(this.vaultId, deviceId);
    // Who controls the vault changed: a pairing opened before admits nobody now.
    this.pairing.void();
    const inner = (this.loaded as Loaded).inner as InnerState;
    const signed = signRevocationStatement({ vaultId: this.vaultId, deviceId, revokedAt }, inner.identitySecretKey);
    this.dropInnerIfUnused();
    return { stateVersion: this.stateVersion, deviceId, revokedAt, ...signed };
  }

  /** Drops the keys and the opened layers (eviction, shutdown); best effort under GC. */
  evict(): void {
    const loaded = this.loaded;
    this.loaded = undefined;
    this.unwitnessed = undefined; // the next load reads the witness again
    if (!loaded) return;
    if (loaded.inner) wipe(loaded.inner);
    sodium().memzero(loaded.rootKey);
    if (loaded.pinKey) sodium().memzero(loaded.pinKey);
  }

  /**
   * The vault's status. `identityKey` is this session's to read while it is unlocked,
   * and in a pairing-only session while the pairing's secret is held: the new device
   * checks it against its pairing code before it proves the secret (docs/decisions/0062).
   */
  private async status(session: Session): Promise<Results["vault.status"]> {
    const loaded = await this.load();
    const unlocked = loaded !== undefined && loaded.inner !== undefined && this.deps.sessions.isUnlocked(session);
    const identityKey =
      unlocked && loaded?.inner
        ? identityPublicKey(loaded.inner)
        : session.pairingOnly
          ? (this.pairing.identityKey ?? null)
          : null;
    const pending = session.pairingOnly ? null : (loaded?.outer.recovery.pending ?? null);
    return {
      stateVersion: loaded?.outer.stateVersion ?? this.seenVersion,
      initialized: loaded !== undefined,
      unlocked,
      identityKey,
      recovery: pending
        ? { targetVaultId: pending.targetVaultId, requestedAt: pending.requestedAt, readyAt: pending.readyAt }
        : null,
      recoveredInto: loaded?.outer.recovery.recoveredInto ?? null,
    };
  }

  private async init(
    session: Session,
    pin: string,
    signingKey: Uint8Array,
    vaultSalt: Uint8Array,
  ): Promise<Results["vault.init"]> {
    await this.assertFreshFor(session, signingKey, vaultSalt);
    const { record, pinKey } = await this.deps.argon2.run(session.deviceId, () =>
      createPinRecord(pin, this.deps.argon2Params ?? DEFAULT_ARGON2ID),
    );
    const identity = sodium().crypto_sign_keypair();
    sodium().memzero(identity.publicKey);
    // The recovery secret is shown once, in this answer; the vault keeps only its key.
    const recoverySecret = randomBytes(RECOVERY_SECRET_BYTES);
    const inner: InnerState = {
      items: [],
      identitySecretKey: identity.privateKey,
      recoveryKey: recoveryKey(recoverySecret),
    };
    await this.create(session, signingKey, record, pinKey, inner, {
      at: this.deps.ports.now(),
      kind: AUDIT_KINDS.vaultInitialized,
      device: session.deviceId,
      detail: {},
    });
    return { stateVersion: this.stateVersion, identityKey: identityPublicKey(inner), recoverySecret };
  }

  /**
   * Creates this vault (init, or a completed recovery): a root key from KMS with
   * `Recipient`, `session`'s device as its only one, `pin` and `inner`, and `event` as
   * the first audit entry; written create-only, then this session holds the unlock.
   */
  private async create(
    session: Session,
    signingKey: Uint8Array,
    pin: PinRecord,
    pinKey: Uint8Array,
    inner: InnerState,
    event: AuditEvent,
  ): Promise<void> {
    const now = this.deps.ports.now();
    const dataKey = await this.deps.ports.kms.generateDataKey({ vault: this.vaultId });
    const outer: OuterFields = {
      vaultId: this.vaultId,
      stateVersion: this.seenVersion + 1,
      pin,
      attempts: { ...NO_PIN_FAILURES },
      devices: [
        {
          deviceId: session.deviceId,
          signingPublicKey: new Uint8Array(signingKey),
          x25519PublicKey: new Uint8Array(session.deviceKey),
          addedAt: now,
          label: "founding device",
          lastUsedAt: now,
          sas: null,
        },
      ],
      pending: [],
      recovery: { ...NO_RECOVERY, backups: [] },
      audit: appendAudit(emptyAuditLog(this.vaultId), this.vaultId, event).log,
      changes: noChanges(this.vaultId),
    };
    const written = sealStateParts({
      vaultId: this.vaultId,
      rootKey: dataKey.plaintext,
      pinKey,
      kmsCiphertextBlob: dataKey.ciphertextBlob,
      outer,
      inner,
      previousVersion: this.seenVersion,
    });
    let blobVersion: string;
    try {
      blobVersion = await this.deps.ports.blobs.put(stateBlobKey(this.vaultId), written.bytes, null);
      await this.witness(written);
    } catch (err) {
      // Not created: nothing keeps the keys (the cache is set only below).
      sodium().memzero(dataKey.plaintext);
      sodium().memzero(pinKey);
      wipe(inner);
      throw err;
    }
    this.adopt(written, blobVersion, dataKey.plaintext, inner, pinKey);
    this.deps.sessions.markUnlocked(session);
  }

  /**
   * Unlock (DESIGN.md §3.7): the attempt is counted and that write acknowledged before
   * the PIN is derived or compared, so a crash or a kill between the two still counts
   * it; success resets the counter with a second write.
   */
  private async unlock(session: Session, pin: string): Promise<Results["vault.unlock"]> {
    // The Argon2id permit is taken before the attempt is counted: a device whose
    // unlocks are refused for want of a permit loses no attempt.
    return this.deps.argon2.run(session.deviceId, () => this.unlockWithPermit(session, pin));
  }

  private async unlockWithPermit(session: Session, pin: string): Promise<Results["vault.unlock"]> {
    const loaded = await this.requireLoaded();
    const pending = beginPinAttempt(loaded.outer, this.deps.ports.now());
    // The attempt is recorded with the counter, in the same write, before the PIN is checked.
    await this.writeOuter(
      loaded,
      pending,
      this.event(session, AUDIT_KINDS.unlockAttempted, { failures: pending.attempts.failures }),
    );
    const counted = this.loaded as Loaded;
    const pinKey = derivePinKey(pin, counted.outer.pin.salt, counted.outer.pin.kdf);
    let inner: InnerState;
    try {
      inner = openInner(counted.sealed, counted.outer, { vaultId: this.vaultId, rootKey: counted.rootKey, pinKey });
    } catch (err) {
      sodium().memzero(pinKey);
      if (err instanceof PinIncorrect) await this.recordFailure(session, counted);
      throw err;
    }
    try {
      await this.writeOuter(
        counted,
        markUsed(completePinAttempt(counted.outer, true), session.deviceId, this.deps.ports.now()),
        this.event(session, AUDIT_KINDS.unlockSucceeded, {}),
      );
    } catch (err) {
      // not unlocked: the layer just opened and its key go now, not at the next collection
      wipe(inner);
      sodium().memzero(pinKey);
      throw err;
    }
    const done = this.loaded as Loaded;
    if (done.inner) wipe(done.inner);
    if (done.pinKey) sodium().memzero(done.pinKey);
    done.inner = inner;
    done.pinKey = pinKey;
    this.deps.sessions.markUnlocked(session);
    return { stateVersion: done.outer.stateVersion };
  }

  private async changePin(session: Session, pin: string, newPin: string): Promise<Results["pin.change"]> {
    this.unlocked(session);
    // The current PIN is checked like an unlock (counted first), in this session.
    await this.unlock(session, pin);
    const loaded = this.loaded as Loaded;
    const { record, pinKey } = await this.deps.argon2.run(session.deviceId, () =>
      createPinRecord(newPin, this.deps.argon2Params ?? DEFAULT_ARGON2ID),
    );
    try {
      await this.writeAll(
        loaded,
        { ...fieldsOf(loaded.outer), pin: record },
        loaded.inner as InnerState,
        pinKey,
        this.event(session, AUDIT_KINDS.pinChanged, {}),
      );
    } catch (err) {
      // the new PIN's key, unless the state was written and is cached under it
      if (this.loaded?.pinKey !== pinKey) sodium().memzero(pinKey);
      throw err;
    }
    // A pairing opened under the old PIN admits nobody now.
    this.pairing.void();
    return { stateVersion: this.stateVersion };
  }

  /**
   * Records a wrong PIN. The failure is counted already (the attempt's write); this
   * write only says how the attempt ended, so when it fails the device is still told
   * the PIN was wrong, and the log keeps the attempt without its outcome.
   */
  private async recordFailure(
    session: Session,
    counted: Loaded,
    failures = counted.outer.attempts.failures,
  ): Promise<void> {
    try {
      await this.writeOuter(
        counted,
        { ...counted.outer, stateVersion: counted.outer.stateVersion + 1 },
        this.event(session, AUDIT_KINDS.unlockFailed, { failures }),
      );
    } catch {
      // Nothing is logged: the host would learn from it that the PIN was wrong, which
      // the number of writes does not tell (a right PIN writes twice as well).
    }
  }

  /** An event of `session`'s device now, for the audit log. */
  private event(session: Session, kind: string, detail: AuditEvent["detail"]): AuditEvent {
    return { at: this.deps.ports.now(), kind, device: session.deviceId, detail };
  }

  /**
   * One page of the audit log for an unlocked session: entries `fromSeq …` (at most
   * `limit`, and not past the head), with the chain digest before the first and the
   * head, so the device checks the page against what it saw before (docs/protocol.md
   * §Audit log). Older entries come from sealed segments, each opened against the
   * digest the chain above it commits to.
   */
  private async auditPage(session: Session, fromSeq: number, limit: number): Promise<Results["vault.audit"]> {
    const { loaded } = this.unlockedLoaded(session);
    const log = loaded.outer.audit;
    const head = auditHead(log, this.vaultId);
    if (fromSeq < 1 || fromSeq > head.seq + 1) throw new VettidError("NOT_FOUND", "no audit entry at that position");
    const last = Math.min(head.seq, fromSeq + Math.min(limit, MAX_AUDIT_PAGE) - 1);
    const tailFirst = tailFirstSeq(log);
    const entries: Uint8Array[] = [];
    let before: Uint8Array | undefined;
    let seq = fromSeq;
    while (seq <= last && seq < tailFirst) {
      const segment = await this.auditSegment(loaded, segmentFirstSeq(seq));
      const offset = seq - segment.firstSeq;
      before ??= auditChainAt(this.vaultId, segment.start, segment.entries, offset);
      const take = segment.entries.slice(offset, offset + (last - seq + 1));
      entries.push(...take);
      seq += take.length;
    }
    if (before === undefined) before = auditChainAt(this.vaultId, log.base, log.tail, fromSeq - tailFirst);
    if (seq <= last) entries.push(...log.tail.slice(seq - tailFirst, last - tailFirst + 1));
    return {
      stateVersion: loaded.outer.stateVersion,
      entries,
      before,
      headSeq: head.seq,
      headDigest: head.digest,
    };
  }

  /**
   * The audit segment that starts at `firstSeq`, opened against its end digest: the
   * tail's `base` for the newest segment, the start of the next one for any other
   * (opened first, newest to oldest, as far as none is known yet).
   * @throws StateInvalid when the host serves none, or one that does not open so.
   */
  private async auditSegment(loaded: Loaded, firstSeq: number): Promise<AuditSegmentContent> {
    const log = loaded.outer.audit;
    const tailFirst = tailFirstSeq(log);
    const endOf = (first: number): Uint8Array | undefined =>
      first + AUDIT_SEGMENT_ENTRIES === tailFirst ? log.base : loaded.auditStarts.get(first + AUDIT_SEGMENT_ENTRIES);
    if (endOf(firstSeq) === undefined) {
      let known = firstSeq + AUDIT_SEGMENT_ENTRIES;
      while (known < tailFirst && !loaded.auditStarts.has(known)) known += AUDIT_SEGMENT_ENTRIES;
      for (let first = known - AUDIT_SEGMENT_ENTRIES; first > firstSeq; first -= AUDIT_SEGMENT_ENTRIES) {
        await this.auditSegment(loaded, first);
      }
    }
    const end = endOf(firstSeq) as Uint8Array;
    const object = await this.deps.ports.blobs.get(auditSegmentBlobKey(this.vaultId, firstSeq));
    if (!object)
      throw new StateInvalid(STATE_REJECTIONS.truncated, "the host serves no audit segment where one is due");
    const segment = openAuditSegment(
      object.data,
      { firstSeq, end },
      { vaultId: this.vaultId, rootKey: loaded.rootKey },
    );
    loaded.auditStarts.set(firstSeq, segment.start);
    return segment;
  }

  /**
   * Writes a segment a rollover moves out of the tail, before the state that drops
   * its entries. One already there from an earlier attempt that never reached the
   * state (a crash, a conflict) holds the same entries and opens against the same end:
   * it is kept. One that does not belongs to a history this state does not extend —
   * the host served an older state than the one that wrote it — and is never
   * overwritten: the write, and the operation that needed it, are refused.
   */
  private async writeSegment(loaded: Loaded, segment: AuditSegmentContent): Promise<void> {
    const key = auditSegmentBlobKey(this.vaultId, segment.firstSeq);
    const keys = { vaultId: this.vaultId, rootKey: loaded.rootKey };
    const existing = await this.deps.ports.blobs.get(key);
    if (existing) {
      openAuditSegment(existing.data, { firstSeq: segment.firstSeq, end: segment.end }, keys);
      return;
    }
    await this.deps.ports.blobs.put(key, sealAuditSegment(segment, keys), null);
  }

  /** Appends `event` to the log `outer` carries; writes the segment a rollover moves out first. */
  private async withEvent<T extends OuterFields>(loaded: Loaded, outer: T, event: AuditEvent | undefined): Promise<T> {
    if (event === undefined) return outer;
    const { log, segment } = appendAudit(outer.audit, this.vaultId, event);
    if (segment) await this.writeSegment(loaded, segment);
    return { ...outer, audit: log };
  }

  private async putItem(
    session: Session,
    name: string,
    type: VaultItem["type"],
    value: Uint8Array,
  ): Promise<Results["items.put"]> {
    const { loaded, inner } = this.unlockedLoaded(session);
    const now = this.deps.ports.now();
    const existing = inner.items.find((item) => item.name === name);
    const updated: VaultItem = existing
      ? { ...existing, type, value: new Uint8Array(value), version: existing.version + 1, updatedAt: now }
      : { name, type, value: new Uint8Array(value), version: 1, createdAt: now, updatedAt: now };
    const items = [...inner.items.filter((item) => item.name !== name), updated];
    const changes = await this.recordChange(
      loaded,
      inner,
      { ...inner, items },
      {
        at: now,
        kind: SYNC_KINDS.itemPut,
        name,
        type,
        version: updated.version,
        value: updated.value,
      },
    );
    await this.writeAll(
      loaded,
      { ...fieldsOf(loaded.outer), changes },
      { ...inner, items },
      loaded.pinKey as Uint8Array,
    );
    return { stateVersion: this.stateVersion, version: updated.version };
  }

  private getItem(session: Session, name: string): Results["items.get"] {
    const { inner, outer } = this.unlocked(session);
    const item = inner.items.find((candidate) => candidate.name === name);
    if (!item) throw new VettidError("NOT_FOUND", "no item by that name");
    return { stateVersion: outer.stateVersion, item: { ...item, value: new Uint8Array(item.value) } };
  }

  private async deleteItem(session: Session, name: string): Promise<Results["items.delete"]> {
    const { loaded, inner } = this.unlockedLoaded(session);
    if (!inner.items.some((item) => item.name === name)) throw new VettidError("NOT_FOUND", "no item by that name");
    const items = inner.items.filter((item) => item.name !== name);
    const changes = await this.recordChange(
      loaded,
      inner,
      { ...inner, items },
      {
        at: this.deps.ports.now(),
        kind: SYNC_KINDS.itemDeleted,
        name,
      },
    );
    await this.writeAll(
      loaded,
      { ...fieldsOf(loaded.outer), changes },
      { ...inner, items },
      loaded.pinKey as Uint8Array,
    );
    return { stateVersion: this.stateVersion };
  }

  /**
   * Seals a change of the items into the vault's change log (decision 0073) and returns
   * the change head the state that commits it names. The event is stored before that
   * state is written: when the write then fails, the event stays behind unnamed, and
   * readers pass over it (sync/read-changes.ts); a state that would not seal (over its
   * limits) is refused before anything is stored. Without a change log, nothing is
   * recorded and the head stays.
   */
  private async recordChange(
    loaded: Loaded,
    inner: InnerState,
    next: InnerState,
    change: DistributiveOmit<ChangeEvent, "seq" | "prev">,
  ): Promise<ChangeHead> {
    const log = this.deps.ports.changes;
    const current = loaded.outer.changes;
    if (!log) return current;
    const event = { ...change, seq: current.nextSeq, prev: current.head } as ChangeEvent;
    const bytes = encodeChangeEvent(event);
    const head = syncChainStep(this.vaultId, current.head, bytes);
    // The state that commits the event must seal (within its limits) before the event is
    // stored: a put the state refuses leaves nothing behind in the log.
    sealStateParts({
      vaultId: this.vaultId,
      rootKey: loaded.rootKey,
      pinKey: loaded.pinKey as Uint8Array,
      kmsCiphertextBlob: loaded.sealed.kmsCiphertextBlob,
      outer: {
        ...fieldsOf(loaded.outer),
        changes: { nextSeq: current.nextSeq + 1, head, position: current.position },
        stateVersion: loaded.outer.stateVersion + 1,
      },
      inner: next,
      previousVersion: loaded.outer.stateVersion,
    });
    const key = changeKey(loaded.rootKey, this.vaultId, inner.identitySecretKey);
    let position: number;
    try {
      position = await log.append(this.vaultId, sealChange(this.vaultId, event.seq, bytes, key));
    } finally {
      sodium().memzero(key);
    }
    sodium().memzero(bytes);
    return { nextSeq: current.nextSeq + 1, head, position };
  }

  /**
   * One page of the vault's changes for an unlocked session (docs/protocol.md §Changes):
   * committed events `fromSeq …` read from the change log against the head the sealed
   * state names, with the chain digest before the first and the head; without `fromSeq`,
   * no events, only where the changes stand (a device starting to follow them).
   */
  private async changesPage(
    session: Session,
    fromSeq: number | undefined,
    cursor: number | undefined,
    limit: number,
  ): Promise<Results["vault.changes"]> {
    const { loaded, inner } = this.unlockedLoaded(session);
    const log = this.deps.ports.changes;
    if (!log) throw new VettidError("UNAVAILABLE", "this runtime keeps no change log");
    const head = loaded.outer.changes;
    const key = changeKey(loaded.rootKey, this.vaultId, inner.identitySecretKey);
    try {
      const page = await readChanges({
        vaultId: this.vaultId,
        key,
        head,
        log,
        fromSeq: fromSeq ?? head.nextSeq,
        cursor,
        limit: Math.min(limit, MAX_CHANGES_PAGE),
      });
      return {
        stateVersion: loaded.outer.stateVersion,
        events: page.events,
        before: page.before,
        headSeq: head.nextSeq - 1,
        headDigest: head.head,
        cursor: page.cursor,
      };
    } finally {
      sodium().memzero(key);
    }
  }

  private unlocked(session: Session): { inner: InnerState; outer: OuterState } {
    const { loaded, inner } = this.unlockedLoaded(session);
    return { inner, outer: loaded.outer };
  }

  private unlockedLoaded(session: Session): { loaded: Loaded; inner: InnerState } {
    const loaded = this.loaded;
    if (!loaded) throw new VettidError("VAULT_NOT_INITIALIZED", "the vault is not initialized");
    if (!this.deps.sessions.isUnlocked(session) || !loaded.inner || !loaded.pinKey) {
      throw new VettidError("VAULT_LOCKED", "unlock the vault in this session first");
    }
    return { loaded, inner: loaded.inner };
  }

  /** Wipes the opened inner layer and the PIN key once no session holds an unlock (lock, lapse). */
  dropInnerIfUnused(): void {
    const loaded = this.loaded;
    if (!loaded || this.deps.sessions.anyUnlocked(this.vaultId)) return;
    if (loaded.inner) wipe(loaded.inner);
    if (loaded.pinKey) sodium().memzero(loaded.pinKey);
    loaded.inner = undefined;
    loaded.pinKey = undefined;
  }

  private async requireLoaded(): Promise<Loaded> {
    const loaded = await this.load();
    if (!loaded) throw new VettidError("VAULT_NOT_INITIALIZED", "the vault is not initialized");
    return loaded;
  }

  /**
   * The vault's state: the cached one while the witness names no later write, or read
   * through the blob channel and opened with a root key KMS releases to this enclave
   * only. A blob older than one seen, or none after one was seen, is refused.
   */
  private async load(): Promise<Loaded | undefined> {
    let carried: Carried | undefined;
    try {
      const loaded = await this.loadState((open) => {
        carried = open;
      });
      // The opened inner layer outlives a reload when the state read again names the same
      // inner layer and PIN record (another runtime's outer-only write: a recovery's
      // notice): the unlocks of this vault's sessions stay. Otherwise it is wiped.
      if (carried && loaded && this.loaded === loaded) this.afterReload(loaded, carried);
      if (carried && loaded && this.loaded === loaded && loaded.inner === undefined) {
        const same =
          !loaded.outer.recovery.recoveredInto &&
          sodium().memcmp(loaded.outer.inner.digest, carried.innerDigest) &&
          sodium().memcmp(loaded.outer.pin.verifier, carried.verifier);
        if (same && carried.inner && carried.pinKey) {
          loaded.inner = carried.inner;
          loaded.pinKey = carried.pinKey;
          carried = undefined;
        }
      }
      return loaded;
    } finally {
      if (carried?.inner) wipe(carried.inner);
      if (carried?.pinKey) sodium().memzero(carried.pinKey);
    }
  }

  /**
   * What a reload after another runtime's write must undo here: sessions of devices the
   * state no longer lists (revoked there), every session of a vault retired by a
   * recovery, and an open pairing once the devices or the PIN record changed.
   */
  private afterReload(loaded: Loaded, before: Carried): void {
    if (loaded.outer.recovery.recoveredInto) {
      this.deps.sessions.dropVault(this.vaultId);
      this.pairing.void();
      return;
    }
    for (const deviceId of before.deviceIds) {
      if (!loaded.outer.devices.some((d) => d.deviceId === deviceId)) {
        this.deps.sessions.dropDevice(this.vaultId, deviceId);
      }
    }
    const devicesChanged =
      before.deviceIds.length !== loaded.outer.devices.length ||
      before.deviceIds.some((id) => !loaded.outer.devices.some((d) => d.deviceId === id));
    if (devicesChanged || !sodium().memcmp(loaded.outer.pin.verifier, before.verifier)) this.pairing.void();
  }

  private async loadState(carry: (open: Carried) => void): Promise<Loaded | undefined> {
    let witnessed: Awaited<ReturnType<VersionWitness["read"]>>;
    if (this.loaded) {
      await this.settleWitness();
      const witness = this.deps.ports.witness;
      if (!witness || (this.inRun && this.witnessChecked)) return this.loaded;
      // Another runtime may have written this vault since it was cached: a recovery
      // run by the owner of the new vault writes the backup's source vault (its pending
      // notice, its retirement). The witness names every write, so a revision other
      // than the one this slot last read or wrote means: read the state again.
      witnessed = await witness.read(this.vaultId);
      if ((witnessed?.revision ?? null) === this.witnessRevision) {
        this.witnessChecked = true;
        return this.loaded;
      }
      const { inner, pinKey, outer } = this.loaded;
      // handed to load(), which keeps the opened layer only for the same inner layer and
      // PIN, and compares the devices and PIN record after the reload
      carry({
        inner,
        pinKey,
        innerDigest: outer.inner.digest,
        verifier: outer.pin.verifier,
        deviceIds: outer.devices.map((d) => d.deviceId),
      });
      this.loaded.inner = undefined;
      this.loaded.pinKey = undefined;
      this.evict();
    } else {
      witnessed = await this.deps.ports.witness?.read(this.vaultId);
    }
    const object = await this.deps.ports.blobs.get(stateBlobKey(this.vaultId));
    if (!object) {
      if (this.seenVersion > 0)
        throw new VettidError("STALE_STATE", "the host serves no state for a vault seen before");
      assertWitnessed(undefined, witnessed?.record);
      this.witnessRevision = null;
      return undefined;
    }
    const sealed = parseStateBlob(object.data);
    assertNotOlder(this.seenVersion, sealed.stateVersion);
    // the clear header's version already tells an old blob, before KMS is asked
    assertNotOlder(witnessed?.record.stateVersion ?? 0, sealed.stateVersion);
    const rootKey = await this.deps.ports.kms.decrypt(sealed.kmsCiphertextBlob, { vault: this.vaultId });
    let outer: OuterState;
    try {
      outer = openOuter(sealed, { vaultId: this.vaultId, rootKey });
      assertNotOlder(this.seenVersion, outer.stateVersion);
      assertWitnessed(witnessedFields(sealed, outer), witnessed?.record);
    } catch (err) {
      sodium().memzero(rootKey);
      throw err;
    }
    this.witnessRevision = witnessed?.revision ?? null;
    this.seenVersion = outer.stateVersion;
    this.loaded = {
      sealed,
      blobVersion: object.version,
      outer,
      rootKey,
      inner: undefined,
      pinKey: undefined,
      auditStarts: new Map(),
    };
    // A state newer than the witness's record is a write whose record did not complete
    // (never acknowledged). It is recorded before anything is served or written on it:
    // otherwise the host could serve it, let the runtime write on it, then serve the
    // witnessed state again and have the runtime write a second history beside it.
    if (this.deps.ports.witness && (witnessed === undefined || witnessed.record.stateVersion < outer.stateVersion)) {
      this.unwitnessed = witnessedFields(sealed, outer);
      await this.settleWitness();
    }
    this.witnessChecked = true;
    return this.loaded;
  }

  /**
   * Writes a new outer layer over the same inner one, with `event` appended to its
   * audit log in the same write; the cache follows only an acknowledged write.
   */
  private async writeOuter(loaded: Loaded, next: OuterState, event?: AuditEvent): Promise<void> {
    const outer = await this.withEvent(loaded, next, event);
    const written = resealOuterParts(loaded.sealed, outer, { vaultId: this.vaultId, rootKey: loaded.rootKey });
    const version = await this.put(loaded, written);
    this.adopt(written, version, loaded.rootKey, loaded.inner, loaded.pinKey);
    await this.witness(written);
  }

  /** Writes both layers (an item changed, the PIN changed), with `event` appended to the audit log. */
  private async writeAll(
    loaded: Loaded,
    next: OuterFields,
    inner: InnerState,
    pinKey: Uint8Array,
    event?: AuditEvent,
  ): Promise<void> {
    const fields = await this.withEvent(loaded, next, event);
    const written = sealStateParts({
      vaultId: this.vaultId,
      rootKey: loaded.rootKey,
      pinKey,
      kmsCiphertextBlob: loaded.sealed.kmsCiphertextBlob,
      outer: { ...fields, stateVersion: loaded.outer.stateVersion + 1 },
      inner,
      previousVersion: loaded.outer.stateVersion,
    });
    const version = await this.put(loaded, written);
    if (loaded.pinKey && loaded.pinKey !== pinKey) sodium().memzero(loaded.pinKey);
    this.adopt(written, version, loaded.rootKey, inner, pinKey);
    await this.witness(written);
  }

  /** A conditional write on the version the state was read at; resolves with the new version. */
  private async put(loaded: Loaded, written: WrittenState): Promise<string> {
    try {
      return await this.deps.ports.blobs.put(stateBlobKey(this.vaultId), written.bytes, loaded.blobVersion);
    } catch (err) {
      // Another writer (or a host replaying): reload before the next operation.
      if (err instanceof VettidError && err.code === "VERSION_CONFLICT") this.evict();
      throw err;
    }
  }

  /**
   * Records a state just written and cached with the witness, before anything
   * acknowledges it. When the witness does not answer, the write is not acknowledged
   * and the state stays cached as unwitnessed: the next operation records it first
   * ({@link settleWitness}), so a NATS node lost for a moment costs one refused
   * operation, not the unlock. When another writer recorded first, the state is read
   * again before the next operation.
   */
  private async witness(written: WrittenState): Promise<void> {
    const witness = this.deps.ports.witness;
    if (!witness) return;
    const fields = witnessedFields(written.sealed, written.outer);
    try {
      this.witnessRevision = await witness.record({ vaultId: this.vaultId, ...fields }, this.witnessRevision);
    } catch (err) {
      if (err instanceof VettidError && err.code === "VERSION_CONFLICT") this.evict();
      else this.unwitnessed = fields;
      throw err;
    }
  }

  /**
   * Records the cached unwitnessed state before anything else runs. A conflict on the
   * revision is this slot's own record when the store holds exactly these fields (the
   * first try was stored but its answer lost); otherwise another writer's, and the
   * state is read again.
   * @throws VettidError `UNAVAILABLE` while the witness does not answer.
   */
  private async settleWitness(): Promise<void> {
    const witness = this.deps.ports.witness;
    const fields = this.unwitnessed;
    if (!witness || !fields) return;
    try {
      this.witnessRevision = await witness.record({ vaultId: this.vaultId, ...fields }, this.witnessRevision);
    } catch (err) {
      if (!(err instanceof VettidError) || err.code !== "VERSION_CONFLICT") throw err;
      const stored = await witness.read(this.vaultId);
      // only a record of exactly this state, its digest included: another state of the
      // same version and counters is another writer's (or one a host made it write)
      if (stored === undefined || !sameWitnessed(fields, stored.record)) {
        this.evict();
        throw err;
      }
      this.witnessRevision = stored.revision;
    }
    this.unwitnessed = undefined;
  }

  /** Caches a state this slot wrote and the store acknowledged, as sealed (not opened again). */
  private adopt(
    written: WrittenState,
    blobVersion: string,
    rootKey: Uint8Array,
    inner: InnerState | undefined,
    pinKey: Uint8Array | undefined,
  ): void {
    const { sealed, outer } = written;
    this.seenVersion = outer.stateVersion;
    const auditStarts = this.loaded?.auditStarts ?? new Map<number, Uint8Array>();
    this.loaded = { sealed, blobVersion, outer, rootKey, inner, pinKey, auditStarts };
  }
}

/** The chain digest after the first `count` of `entries`, from `start`. */
function auditChainAt(vaultId: string, start: Uint8Array, entries: readonly Uint8Array[], count: number): Uint8Array {
  return auditChainEnd(vaultId, start, entries.slice(0, count));
}

/** What the witness records of a state: its version, PIN failure counters and digest. */
function witnessedFields(sealed: SealedState, outer: OuterFields): WitnessedFields {
  return {
    stateVersion: outer.stateVersion,
    failures: outer.attempts.failures,
    recoveryFailures: outer.recovery.attempts.failures,
    stateDigest: layerDigest(sealed.outer),
  };
}

function fieldsOf(outer: OuterState): OuterFields {
  const { inner: _inner, ...fields } = outer;
  return fields;
}

function identityPublicKey(inner: InnerState): Uint8Array {
  return sodium().crypto_sign_ed25519_sk_to_pk(inner.identitySecretKey);
}
