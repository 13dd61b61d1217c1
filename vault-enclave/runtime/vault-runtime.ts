import { type ErrorCode, isVettidError, VettidError } from "../../lib/errors";
import { type HandshakeRequest, readHandshakeRequest } from "../../lib/handshake";
import type { ProxyNatsMessage } from "../../lib/proxy-client";
import { parseSubject, vaultRequestWildcard } from "../../lib/subjects";

/** Every vault's request subject (the proxy allows it only where the host serves every vault). */
const ALL_VAULTS_REQUEST_WILDCARD = "vettid.v1.vault.*.req.*";

import { createHash } from "node:crypto";
import {
  type DeviceMessage,
  documentNonce,
  type EnclaveMessage,
  encodeEnclaveMessage,
  encodeFailure,
  encodeHandshakeAnswer,
  encodeResult,
  type HandshakePayload,
  parseDeviceMessage,
  parseHandshakePayload,
  parseRequest,
  type VaultOp,
  type VaultRequest,
} from "../../lib/vault-protocol";
import { DEFAULT_LEASE_TIMING, type LeaseTiming } from "../lease/decide";
import type { LeaseTable } from "../lease/keeper";
import { LeaseKeeper } from "../lease/keeper";
import { EnclaveKeys } from "../session/enclave-keys";
import { Sessions } from "../session/sessions";
import { type Argon2idParams, parseBackup } from "../state";
import { VaultSlot } from "../vault/vault-slot";
import {
  ATTESTATIONS_PER_DEVICE_PER_MINUTE,
  ISSUED_DOCUMENT_TTL_MS,
  ISSUED_DOCUMENTS_PER_DEVICE,
  MAX_CONCURRENT_ARGON2,
  MAX_IN_FLIGHT_BYTES,
  MAX_IN_FLIGHT_PER_DEVICE,
  MAX_QUEUED_PER_DEVICE,
  RECOVERY_DELAY_MS,
  TAKE_OVER_DOCUMENT_TTL_MS,
  UNLOCK_IDLE_MS,
  VAULT_IDLE_EVICT_MS,
  VAULT_MEMORY_BUDGET_BYTES,
} from "./limits";
import type { RuntimePorts } from "./ports";
import { KeyedMutex, KeyedSemaphore } from "./semaphore";

/** Options of {@link VaultRuntime}. */
export interface VaultRuntimeOptions {
  ports: RuntimePorts;
  /** Argon2id cost of new PIN records; tests only pass anything but the default. */
  argon2Params?: Argon2idParams;
  /** Bytes of sealed requests in flight at once; tests only pass anything but {@link MAX_IN_FLIGHT_BYTES}. */
  maxInFlightBytes?: number;
  /** Heap + external bytes to stay within (default {@link VAULT_MEMORY_BUDGET_BYTES}). */
  memoryBudgetBytes?: number;
  /** How memory is read (default `process.memoryUsage`); tests pass their own. */
  memory?: () => Pick<NodeJS.MemoryUsage, "heapUsed" | "external">;
  /** How long a recovery waits before it may complete (default 24 h; the measured configuration's). */
  recoveryDelayMs?: number;
  /**
   * One live owner per vault (decision 0071): requests for a vault are served only while
   * this runtime holds its lease in `table`, and left to its owner otherwise. Without,
   * every request the host delivers is served.
   */
  leases?: { table: LeaseTable; self: string; timing?: LeaseTiming };
}

/** Codes whose message is safe to show a device; anything else is answered `INTERNAL`. */
const EXPOSED_INTERNAL: ErrorCode = "INTERNAL";

/**
 * The vault runtime (DESIGN.md §4): serves the vaults it is given over their NATS
 * request subjects. Per request subject `vettid.v1.vault.<vault>.req.<device>`:
 *
 * - `attest` → an NSM document with the device's nonce and the digest of the
 *   enclave's handshake keys, and the keys themselves;
 * - `handshake` → the hybrid IK handshake (lib/handshake), accepted only for a device
 *   key in the vault's sealed device list (or any device while the vault does not
 *   exist: it can then only ask for the status or initialize; or any other key while
 *   a pairing is open: it can then only ask for the status or prove the secret);
 * - `sealed` → one operation in an E2E envelope (lib/envelope), answered sealed and
 *   bound to the request; every answer carries the state version.
 *
 * Nothing from the host is trusted: every message is parsed strictly, every envelope
 * authenticated, every state blob opened with the KMS-released root key and checked
 * against the highest version seen.
 */
/** Thrown inside a request another runtime answers: no answer from this one. */
const NOT_OURS = Symbol("not ours");

/** Vault/device pairs whose issued documents are remembered at most (a few hundred bytes each). */
const MAX_ISSUED_KEYS = 100_000;

export class VaultRuntime {
  private readonly keys: EnclaveKeys;
  private readonly sessions: Sessions;
  private readonly slots = new Map<string, VaultSlot>();
  private readonly subscriptions = new Map<string, { unsubscribe(): Promise<void> }>();
  private servingAll = false;
  private readonly mutex = new KeyedMutex();
  private readonly argon2 = new KeyedSemaphore(MAX_CONCURRENT_ARGON2, MAX_QUEUED_PER_DEVICE);
  private readonly attestations = new Map<string, { windowStart: number; count: number }>();
  private readonly handshakes = new Map<string, { windowStart: number; count: number }>();
  /** SHA-256 of the last documents issued per vault/device, with when: a handshake must name one of them, in time. */
  private readonly issued = new Map<string, { digest: string; at: number }[]>();
  /** Sealed requests waiting or running per vault/device, bounded by {@link MAX_IN_FLIGHT_PER_DEVICE}. */
  private readonly inFlight = new Map<string, number>();
  /** Bytes of those requests' envelopes, bounded by {@link MAX_IN_FLIGHT_BYTES}. */
  private inFlightBytes = 0;
  private readonly sweeper: NodeJS.Timeout;
  private readonly maxInFlightBytes: number;
  private readonly leases: LeaseKeeper | undefined;
  private readonly renewer: NodeJS.Timeout | undefined;

  constructor(private readonly options: VaultRuntimeOptions) {
    this.keys = new EnclaveKeys(options.ports.nsm, options.ports.now);
    this.sessions = new Sessions(options.ports.now);
    this.maxInFlightBytes = options.maxInFlightBytes ?? MAX_IN_FLIGHT_BYTES;
    // Unlocks lapse while nobody asks: wipe opened layers on a timer too, not only on
    // the next operation; and evict vaults nobody uses (root key and outer layer).
    this.sweeper = setInterval(() => void this.sweep(), UNLOCK_IDLE_MS / 5);
    this.sweeper.unref();
    if (options.leases) {
      this.leases = new LeaseKeeper({ ...options.leases, now: options.ports.now, onLost: (v) => this.lost(v) });
      const every = (options.leases.timing ?? DEFAULT_LEASE_TIMING).renewMs;
      this.renewer = setInterval(() => void this.renewLeases(), every);
      this.renewer.unref();
    }
  }

  /** Renews the leases this runtime holds (on a timer every `renewMs`; exposed for tests). */
  renewLeases(): Promise<void> {
    return this.leases?.renewAll() ?? Promise.resolve();
  }

  /** Vaults whose lease this runtime holds (for health and tests). */
  get leaseCount(): number {
    return this.leases?.heldCount ?? 0;
  }

  /** Vaults whose lease this runtime holds, or undefined when it takes no leases (the health report's `OwnedVaults`). */
  get ownedVaultCount(): number | undefined {
    return this.leases?.heldCount;
  }

  /** A vault's lease is gone: its keys and sessions go, and its new owner serves it. */
  private lost(vaultId: string): void {
    this.options.ports.log("warn", "vault lease lost", {});
    void this.mutex.run(vaultId, async () => {
      this.sessions.dropVault(vaultId);
      this.slots.get(vaultId)?.evict(); // the highest version seen stays
    });
  }

  /**
   * Wipes opened inner layers whose unlocks lapsed, drops expired sessions, and evicts
   * vaults with no session left that were idle for {@link VAULT_IDLE_EVICT_MS}, each
   * under its vault's mutex. Runs on a timer; exposed for tests.
   * @returns how many vaults it evicted.
   */
  async sweep(): Promise<number> {
    this.sessions.sweepExpired();
    let evicted = 0;
    for (const slot of [...this.slots.values()]) {
      if (!slot.isLoaded) continue;
      await this.mutex.run(slot.vaultId, async () => {
        slot.dropInnerIfUnused();
        if (slot.evictIfIdle(VAULT_IDLE_EVICT_MS)) evicted += 1;
      });
    }
    evicted += await this.relieveMemory();
    await this.releaseUnused();
    return evicted;
  }

  /**
   * Gives up the leases of vaults with neither a loaded state nor a session, under each
   * vault's mutex: a request for a vault id that names no vault (anyone can publish
   * one) takes a lease once, not one renewed every `renewMs` for as long as this runs.
   */
  private async releaseUnused(): Promise<void> {
    const leases = this.leases;
    if (!leases) return;
    const unused = (vaultId: string) => !this.slots.get(vaultId)?.isLoaded && !this.sessions.hasAny(vaultId);
    for (const vaultId of leases.heldVaults) {
      if (!unused(vaultId)) continue;
      await this.mutex.run(vaultId, async () => {
        if (unused(vaultId)) await leases.release(vaultId).catch(() => undefined);
      });
    }
  }

  /**
   * Above the memory budget, evicts loaded vaults no unlocked session holds, least
   * recently used first: as many as the excess over the average loaded vault's share
   * of memory (an underestimate of what each frees, so the next sweep goes on if one
   * is not enough).
   */
  private async relieveMemory(): Promise<number> {
    const { heapUsed, external } = (this.options.memory ?? process.memoryUsage)();
    const used = heapUsed + external;
    const over = used - (this.options.memoryBudgetBytes ?? VAULT_MEMORY_BUDGET_BYTES);
    if (over <= 0) return 0;
    const loaded = [...this.slots.values()].filter((s) => s.isLoaded).sort((a, b) => a.lastUsed - b.lastUsed);
    let wanted = Math.ceil(over / (used / Math.max(1, loaded.length)));
    let evicted = 0;
    for (const slot of loaded) {
      if (wanted <= 0) break;
      await this.mutex.run(slot.vaultId, async () => {
        if (slot.evictUnlessUnlocked()) {
          evicted += 1;
          wanted -= 1;
        }
      });
    }
    this.options.ports.log("warn", "over the memory budget", { usedBytes: used, evicted });
    return evicted;
  }

  /** Loaded vaults (root key in memory), for health and tests. */
  get loadedVaultCount(): number {
    let count = 0;
    for (const slot of this.slots.values()) if (slot.isLoaded) count += 1;
    return count;
  }

  /** Loaded vaults whose inner layer is open, for a session's unlock (health, benchmarks). */
  get openVaultCount(): number {
    let count = 0;
    for (const slot of this.slots.values()) if (slot.isOpen) count += 1;
    return count;
  }

  /** Live sessions (for health and tests). */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Starts serving `vaultId`: subscribes to its request subject through the proxy. */
  async serve(vaultId: string): Promise<void> {
    if (this.subscriptions.has(vaultId)) return;
    const subscription = await this.options.ports.nats.subscribe(vaultRequestWildcard(vaultId), (message) => {
      void this.onMessage(message);
    });
    this.subscriptions.set(vaultId, subscription);
  }

  /**
   * Serves what the host says it serves (lib/proxy-client `served`): each listed
   * vault, or every vault where the host serves all (local / dev).
   */
  async serveAs(served: readonly string[] | "all"): Promise<void> {
    if (served === "all") {
      if (this.servingAll) return;
      const subscription = await this.options.ports.nats.subscribe(ALL_VAULTS_REQUEST_WILDCARD, (message) => {
        void this.onMessage(message);
      });
      this.subscriptions.set("*", subscription);
      this.servingAll = true;
      return;
    }
    for (const vaultId of served) await this.serve(vaultId);
  }

  /** Stops serving every vault and drops their keys. */
  async close(): Promise<void> {
    clearInterval(this.sweeper);
    clearInterval(this.renewer);
    // no more requests first: one arriving after the leases are given up would take one again
    await Promise.all([...this.subscriptions.values()].map((s) => s.unsubscribe().catch(() => undefined)));
    this.subscriptions.clear();
    this.servingAll = false;
    await this.leases?.releaseAll().catch(() => undefined);
    for (const slot of this.slots.values()) slot.evict();
    this.slots.clear();
  }

  /** Handles one request; never throws (a failure is answered or, for a malformed message, logged). */
  async onMessage(message: ProxyNatsMessage): Promise<void> {
    const subject = parseSubject(message.subject);
    if (subject?.kind !== "request" || !(this.servingAll || this.subscriptions.has(subject.vaultId))) return;
    const { vaultId, deviceId } = subject;
    let parsed: DeviceMessage | undefined;
    let answer: EnclaveMessage | undefined;
    try {
      parsed = parseDeviceMessage(message.data);
    } catch (err) {
      answer = { t: "error", ...publicError(err) };
    }
    if (this.leases && !(await this.mayAnswer(this.leases, vaultId, deviceId, parsed))) return;
    try {
      if (parsed) answer = await this.handle(vaultId, deviceId, parsed);
    } catch (err) {
      if (err === NOT_OURS) return;
      answer = { t: "error", ...publicError(err) };
      if (!isVettidError(err)) this.options.ports.log("error", "request failed", { kind: "unexpected" });
    }
    if (answer) this.options.ports.nats.respond(message.reply, encodeEnclaveMessage(answer));
  }

  /**
   * Whether this runtime answers a message for `vaultId` (decisions 0077, 0078). An
   * attestation that names this enclave's keys in `avoid` is never answered. The owner
   * answers everything else (renewing its lease). Otherwise, nothing a host can make up
   * takes a lease: an attestation is answered only while the vault is free or when it
   * asks to avoid another enclave, and takes none; a
   * handshake only by the runtime that issued the attestation it names, which takes the
   * lease once the device's key is proven and the vault admits it
   * ({@link handshake}); a sealed message, while the vault is free, only with the refusal
   * of a session this runtime does not hold (a session lives only with its vault's
   * lease); a malformed message not at all.
   */
  private async mayAnswer(
    leases: LeaseKeeper,
    vaultId: string,
    deviceId: string,
    parsed: DeviceMessage | undefined,
  ): Promise<boolean> {
    // a device that found this enclave silent asks another one: this one stays quiet
    if (parsed?.t === "attest" && parsed.avoid && this.keys.isNamedIn(parsed.avoid)) return false;
    // a handshake meant for another enclave (after a take-over, every host relays it) is
    // not this one's to refuse, owner or not
    if (parsed?.t === "handshake" && !this.issuedHere(vaultId, deviceId, parsed.attestation)) return false;
    if (leases.holds(vaultId)) return true;
    if (parsed === undefined) return false;
    if (leases.has(vaultId)) return leases.mayServe(vaultId);
    switch (parsed.t) {
      case "attest":
        // an attestation takes no lease; one asked of other enclaves than the silent
        // owner is answered by any of them, for a take-over (decision 0078)
        return parsed.avoid !== undefined || leases.isFree(vaultId);
      case "handshake":
        return this.issuedHere(vaultId, deviceId, parsed.attestation);
      case "sealed":
        // a free vault's runtime knows no session of it: it answers that refusal (so the
        // device attests again) and takes no lease
        return leases.isFree(vaultId);
    }
  }

  /**
   * Forgets the documents older than {@link ISSUED_DOCUMENT_TTL_MS} (no handshake may
   * name them any more), then, down to nine tenths of {@link MAX_ISSUED_KEYS}, those
   * of the devices that attested longest ago (called when the map holds too many): a
   * handshake under way keeps its document, and a flood of attestations forgets no
   * other device's all at once.
   */
  private pruneIssued(): void {
    const since = this.options.ports.now() - ISSUED_DOCUMENT_TTL_MS;
    for (const [key, documents] of this.issued) {
      const live = documents.filter((d) => d.at >= since);
      if (live.length > 0) this.issued.set(key, live);
      else this.issued.delete(key);
    }
    // the devices that attested longest ago go first (the map is in the order of their
    // last attestation), down to nine tenths, so that the next attestations do not walk it again
    for (const key of this.issued.keys()) {
      if (this.issued.size <= MAX_ISSUED_KEYS * 0.9) break;
      this.issued.delete(key);
    }
  }

  /**
   * Whether this enclave issued `attestationDigest` to `vaultId`/`deviceId` (one of its
   * recent documents, issued at most {@link ISSUED_DOCUMENT_TTL_MS} ago).
   */
  private issuedHere(vaultId: string, deviceId: string, attestationDigest: Uint8Array): boolean {
    const digest = Buffer.from(attestationDigest).toString("hex");
    const since = this.options.ports.now() - ISSUED_DOCUMENT_TTL_MS;
    return (this.issued.get(`${vaultId}/${deviceId}`) ?? []).some((d) => d.digest === digest && d.at >= since);
  }

  private async handle(vaultId: string, deviceId: string, message: DeviceMessage): Promise<EnclaveMessage> {
    switch (message.t) {
      case "attest": {
        const key = `${vaultId}/${deviceId}`;
        limit(this.attestations, key, this.options.ports.now(), "attestation");
        // the request, and whether this enclave holds the vault, are bound into the
        // document's nonce: a request the host changed does not verify
        const holds = message.avoid !== undefined && (this.leases ? this.leases.holds(vaultId) : true);
        const answer = await this.keys.attest(documentNonce(message.nonce, message.avoid, holds));
        const issued = { digest: sha256(answer.document), at: this.options.ports.now() };
        const digests = [...(this.issued.get(key) ?? []), issued].slice(-ISSUED_DOCUMENTS_PER_DEVICE);
        this.issued.delete(key);
        this.issued.set(key, digests);
        if (this.issued.size > MAX_ISSUED_KEYS) this.pruneIssued();
        return { t: "attestation", ...answer };
      }
      case "handshake":
        return this.handshake(vaultId, deviceId, message.attestation, message.message);
      case "sealed":
        return this.sealed(vaultId, deviceId, message.session, message.envelope);
    }
  }

  private async handshake(
    vaultId: string,
    deviceId: string,
    attestationDigest: Uint8Array,
    message: Uint8Array,
  ): Promise<EnclaveMessage> {
    const key = `${vaultId}/${deviceId}`;
    limit(this.handshakes, key, this.options.ports.now(), "handshake");
    // The prologue binds the document the device verified; it must be one this enclave issued to it.
    if (!this.issuedHere(vaultId, deviceId, attestationDigest)) {
      throw new VettidError("HANDSHAKE_FAILED", "the handshake names no attestation this enclave issued; attest again");
    }
    const context = { vaultId, deviceId, attestationDigest };
    // The message names no key; the current keys are tried first, then the previous.
    let request: ReturnType<typeof readHandshakeRequest> | undefined;
    let failure: unknown;
    for (const enclaveKeys of this.keys.candidates()) {
      try {
        request = readHandshakeRequest({ enclaveKeys, context, message });
        break;
      } catch (err) {
        failure = err;
      }
    }
    if (!request) throw failure;
    const authentic = request;
    try {
      return await this.answerHandshake(vaultId, deviceId, attestationDigest, authentic);
    } catch (err) {
      if (err === NOT_OURS) {
        authentic.discard();
        throw err;
      }
      // Message 1 is authentic: the refusal goes in message 2, which only the device can
      // read and the host cannot forge, so the device can tell it from a host's (decision 0079).
      if (!isVettidError(err)) this.options.ports.log("error", "handshake failed", { kind: "unexpected" });
      const { message: refusal } = authentic.refuse({
        payload: encodeHandshakeAnswer({ ok: false, ...publicError(err) }),
      });
      return { t: "handshake", message: refusal };
    }
  }

  /** The rest of a handshake once message 1 is authentic: admission, the lease, message 2. */
  private async answerHandshake(
    vaultId: string,
    deviceId: string,
    attestationDigest: Uint8Array,
    request: HandshakeRequest,
  ): Promise<EnclaveMessage> {
    const key = `${vaultId}/${deviceId}`;
    // One handshake per attestation: the message is authentic, and a replay of it (by
    // the host, which relays both) names a document this enclave no longer holds.
    const digest = Buffer.from(attestationDigest).toString("hex");
    const issuedAt = (this.issued.get(key) ?? []).find((d) => d.digest === digest)?.at;
    const left = (this.issued.get(key) ?? []).filter((d) => d.digest !== digest);
    if (left.length > 0) this.issued.set(key, left);
    else this.issued.delete(key);
    const deviceKey = request.deviceKey;
    // The device's key is proven, and so is what it says in payload 1. A runtime
    // without the vault's lease reads the vault's state (a read: it writes no state) to
    // learn whether the vault admits the key, and takes the lease only then: a key the
    // host made up takes none, however long the host stalls that read. A device that
    // asks to take the vault over (its owner went silent) has the lease taken from a
    // live owner too, if it is one of the vault's devices, not a pairing one (decision 0078).
    const said = handshakePayload(request.payload);
    // a take-over is for a device waiting now: the host may have held this one back
    // while the device settled on another enclave
    const takeOver =
      said.takeOver === true &&
      issuedAt !== undefined &&
      this.options.ports.now() - issuedAt <= TAKE_OVER_DOCUMENT_TTL_MS;
    const leases = this.leases;
    if (leases && !leases.has(vaultId) && !takeOver && !(await leases.isFree(vaultId))) throw NOT_OURS;
    // checked before a lease is taken or message 2 made, so that the refusal goes in message 2
    if (!this.sessions.hasRoomFor(vaultId, deviceId)) {
      throw new VettidError("OVERLOADED", "the runtime holds too many sessions; retry later");
    }
    const slot = this.slot(vaultId);
    const { admission, stateVersion, initialized } = await this.mutex.run(vaultId, async () => {
      let admission: Awaited<ReturnType<VaultSlot["admits"]>>;
      try {
        admission = await slot.admits(deviceId, deviceKey, said.founding);
      } catch (err) {
        this.dropUnowned(vaultId, slot);
        throw err;
      }
      if (
        leases &&
        !leases.has(vaultId) &&
        (admission === "refused" || !(await leases.mayServe(vaultId, { takeOver: takeOver && admission === "device" })))
      ) {
        this.dropUnowned(vaultId, slot);
        if (admission !== "refused") throw NOT_OURS;
      }
      return { admission, stateVersion: slot.stateVersion, initialized: slot.stateVersion > 0 };
    });
    if (admission === "refused") {
      throw new VettidError("FORBIDDEN", "the device key is not authorized for this vault");
    }
    // again, with nothing awaited from here to add: other handshakes may have filled the table meanwhile
    if (!this.sessions.hasRoomFor(vaultId, deviceId)) {
      throw new VettidError("OVERLOADED", "the runtime holds too many sessions; retry later");
    }
    const accepted = request.accept({
      authorize: () => true,
      payload: encodeHandshakeAnswer({ ok: true, stateVersion, initialized }),
    });
    try {
      this.sessions.add(accepted.session, deviceKey, admission === "pairing");
    } catch (err) {
      accepted.session.keys.tx.fill(0);
      accepted.session.keys.rx.fill(0);
      throw err;
    }
    this.options.ports.log("info", "session opened", { initialized });
    return { t: "handshake", message: accepted.message };
  }

  /**
   * Drops the state a runtime without the vault's lease read for a handshake (under the
   * vault's mutex), unless it holds the lease or one of the vault's sessions lives here.
   */
  private dropUnowned(vaultId: string, slot: VaultSlot): void {
    if (!this.leases || this.leases.has(vaultId) || this.sessions.hasAny(vaultId)) return;
    slot.evict();
  }

  private async sealed(
    vaultId: string,
    deviceId: string,
    sessionId: string,
    envelope: Uint8Array,
  ): Promise<EnclaveMessage> {
    let session: ReturnType<Sessions["get"]>;
    try {
      session = this.sessions.get(sessionId, vaultId, deviceId);
    } catch (err) {
      // a session this owner does not hold may be one a device opened where it took the
      // vault over (decision 0078): an owner that lost the lease stays silent for it
      if (this.leases?.holds(vaultId) && !(await this.leases.confirm(vaultId))) throw NOT_OURS;
      throw err;
    }
    if (this.leases && !this.leases.holds(vaultId)) {
      this.sessions.drop(session);
      throw new VettidError("UNAUTHENTICATED", "this runtime no longer serves the vault; attest and handshake again");
    }
    const opened = session.channel.open(envelope);
    this.sessions.touch(session);
    // Refused before it runs, so it holds no memory while it waits; refused in the
    // session, so the device can tell the refusal is the enclave's (decision 0079).
    const key = `${vaultId}/${deviceId}`;
    const inFlight = this.inFlight.get(key) ?? 0;
    const refusal =
      inFlight >= MAX_IN_FLIGHT_PER_DEVICE
        ? new VettidError("RATE_LIMITED", "too many operations in flight for this device")
        : this.inFlightBytes + envelope.length > this.maxInFlightBytes
          ? new VettidError("OVERLOADED", "the runtime holds too many operations; retry later")
          : undefined;
    if (refusal) {
      const body = encodeFailure(publicError(refusal));
      return { t: "sealed", envelope: session.channel.sealAnswer(opened, opened.op, body) };
    }
    const slot = this.slot(vaultId);
    let body: Uint8Array;
    this.inFlight.set(key, inFlight + 1);
    this.inFlightBytes += envelope.length;
    try {
      const request = parseRequest(opened.op, opened.plaintext);
      const result = await this.underMutexes(vaultId, request, () => slot.run(session, request));
      body = encodeResult(opened.op as VaultOp, result);
    } catch (err) {
      const failure = publicError(err);
      const lockedUntil = (err as { lockedUntil?: number }).lockedUntil;
      body = encodeFailure({
        ...failure,
        stateVersion: slot.stateVersion,
        ...(typeof lockedUntil === "number" && Number.isFinite(lockedUntil)
          ? { retryAfterMs: Math.max(0, lockedUntil - this.options.ports.now()) }
          : {}),
      });
    } finally {
      this.inFlightBytes -= envelope.length;
      const left = (this.inFlight.get(key) ?? 1) - 1;
      if (left > 0) this.inFlight.set(key, left);
      else this.inFlight.delete(key);
    }
    return { t: "sealed", envelope: session.channel.sealAnswer(opened, opened.op, body) };
  }

  /**
   * Runs `fn` under the mutex of `vaultId`, and for a recovery also under the backup's
   * source vault's (its slot is changed too), taken in the order of their ids so two
   * recoveries never wait on each other.
   */
  private underMutexes<T>(vaultId: string, request: VaultRequest, fn: () => Promise<T>): Promise<T> {
    const peer = recoverySource(request);
    if (peer === undefined || peer === vaultId) return this.mutex.run(vaultId, fn);
    const [first, second] = [vaultId, peer].sort() as [string, string];
    return this.mutex.run(first, () => this.mutex.run(second, fn));
  }

  private slot(vaultId: string): VaultSlot {
    let slot = this.slots.get(vaultId);
    if (!slot) {
      slot = new VaultSlot(vaultId, {
        ports: this.options.ports,
        sessions: this.sessions,
        argon2: this.argon2,
        ...(this.options.argon2Params ? { argon2Params: this.options.argon2Params } : {}),
        peer: (id) => this.slot(id),
        recoveryDelayMs: this.options.recoveryDelayMs ?? RECOVERY_DELAY_MS,
      });
      this.slots.set(vaultId, slot);
    }
    return slot;
  }
}

/** The source vault a recovery request's backup names, or undefined (no recovery, or a backup that does not parse). */
function recoverySource(request: VaultRequest): string | undefined {
  if (request.op !== "recovery.start" && request.op !== "recovery.complete") return undefined;
  try {
    return parseBackup(request.backup).header.sourceVaultId;
  } catch {
    return undefined;
  }
}

/** The code and message a device may see: our typed errors as they are, anything else as INTERNAL. */
function publicError(err: unknown): { code: ErrorCode; message: string } {
  if (isVettidError(err)) return { code: err.code, message: err.message.slice(0, MAX_ERROR_MESSAGE) };
  return { code: EXPOSED_INTERNAL, message: "internal error" };
}

/** Longest error message sent to a device (lib/vault-protocol accepts up to 500 characters). */
const MAX_ERROR_MESSAGE = 500;

/** What a handshake payload says, if it is well formed (anything else says nothing: no opening, no take-over). */
function handshakePayload(payload: Uint8Array): HandshakePayload {
  try {
    return parseHandshakePayload(payload);
  } catch {
    return {};
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * A fixed one-minute window per key.
 * @throws VettidError `RATE_LIMITED` beyond {@link ATTESTATIONS_PER_DEVICE_PER_MINUTE}.
 */
function limit(
  windows: Map<string, { windowStart: number; count: number }>,
  key: string,
  now: number,
  what: string,
): void {
  const entry = windows.get(key);
  if (!entry || now - entry.windowStart >= 60_000) {
    if (windows.size > 100_000) windows.clear();
    windows.set(key, { windowStart: now, count: 1 });
    return;
  }
  entry.count += 1;
  if (entry.count > ATTESTATIONS_PER_DEVICE_PER_MINUTE) {
    throw new VettidError("RATE_LIMITED", `too many ${what} requests; wait a minute`);
  }
}
