import { SealedChannel } from "../../lib/envelope";
import { VettidError } from "../../lib/errors";
import type { HandshakeSession } from "../../lib/handshake";
import {
  MAX_PAIRING_SESSIONS_PER_VAULT,
  MAX_SESSIONS,
  MAX_SESSIONS_PER_DEVICE,
  SESSION_IDLE_MS,
  SESSION_MAX_AGE_MS,
  UNLOCK_IDLE_MS,
} from "../runtime/limits";

/** One device session: its sealed channel, and whether (until when) it unlocked its vault. */
export interface Session {
  readonly id: string;
  readonly vaultId: string;
  readonly deviceId: string;
  /** The device's static X25519 key the handshake authenticated. */
  readonly deviceKey: Uint8Array;
  /** The final handshake hash (64 bytes): what a pairing proof made in this session binds (lib/pairing). */
  readonly handshakeHash: Uint8Array;
  /**
   * Admitted only to prove a pairing secret: its key was not in the vault's device list
   * when it hand-shook, so until that key is approved it may run `vault.status` and
   * `device.pair.join` and nothing else (lib/vault-protocol `PAIRING_SESSION_OPS`).
   */
  readonly pairingOnly: boolean;
  readonly channel: SealedChannel;
  readonly createdAt: number;
  lastUsedAt: number;
  /** Set by a successful unlock (or init) in this session; an unlock belongs to its session only. */
  unlockedAt: number | undefined;
  lastUnlockedUseAt: number | undefined;
}

/**
 * The runtime's live sessions, by id. A session ends when idle for
 * {@link SESSION_IDLE_MS}, at {@link SESSION_MAX_AGE_MS}, when its device opens more
 * than {@link MAX_SESSIONS_PER_DEVICE} (its own oldest goes), when its vault holds
 * {@link MAX_PAIRING_SESSIONS_PER_VAULT} pairing-only ones (for one of those: the
 * vault's oldest pairing-only session goes), or when its vault's
 * device list drops the device. Its unlock lapses after {@link UNLOCK_IDLE_MS}.
 */
export class Sessions {
  private readonly byId = new Map<string, Session>();
  /** The same sessions by vault, so per-request checks never walk every session. */
  private readonly byVault = new Map<string, Set<Session>>();
  /**
   * No session expires before this time: the earliest deadline found by the last walk
   * of every session, lowered by any session added or touched since (a deadline only
   * moves later as a session is used, unless the clock goes back). Until then a sweep
   * has nothing to remove and does not walk them, so a handshake costs the same with
   * 10 sessions as with 10,000.
   */
  private noExpiryUntil = Number.POSITIVE_INFINITY;

  constructor(private readonly now: () => number) {}

  get size(): number {
    return this.byId.size;
  }

  /**
   * Adds the session a handshake produced.
   * @throws VettidError `OVERLOADED` when the runtime holds {@link MAX_SESSIONS}.
   */
  add(handshake: HandshakeSession, deviceKey: Uint8Array, pairingOnly = false): Session {
    this.sweep();
    const { vaultId, deviceId } = handshake.context;
    const ofThisVault = [...(this.byVault.get(vaultId) ?? [])].sort((a, b) => a.createdAt - b.createdAt);
    const own = ofThisVault.filter((s) => s.deviceId === deviceId);
    while (own.length >= MAX_SESSIONS_PER_DEVICE) this.remove(own.shift() as Session);
    if (pairingOnly) {
      const pairing = ofThisVault.filter((s) => s.pairingOnly && this.byId.get(s.id) === s);
      while (pairing.length >= MAX_PAIRING_SESSIONS_PER_VAULT) this.remove(pairing.shift() as Session);
    }
    if (this.byId.size >= MAX_SESSIONS) throw new VettidError("OVERLOADED", "too many sessions");
    const now = this.now();
    const session: Session = {
      id: handshake.sessionId,
      vaultId,
      deviceId,
      deviceKey: new Uint8Array(deviceKey),
      handshakeHash: new Uint8Array(handshake.handshakeHash),
      pairingOnly,
      // Window 0: a session's requests open only in the order the device sealed them, so
      // the host cannot hold one back and deliver it after a later one (DESIGN.md §3.6).
      channel: new SealedChannel({ role: "enclave", keys: handshake.keys, context: handshake.context, windowSize: 0 }),
      createdAt: now,
      lastUsedAt: now,
      unlockedAt: undefined,
      lastUnlockedUseAt: undefined,
    };
    this.byId.set(session.id, session);
    this.noExpiryUntil = Math.min(this.noExpiryUntil, deadline(session));
    let ofVault = this.byVault.get(vaultId);
    if (!ofVault) {
      ofVault = new Set();
      this.byVault.set(vaultId, ofVault);
    }
    ofVault.add(session);
    return session;
  }

  /**
   * Whether {@link add} would take a session of `vaultId`/`deviceId` now, rather than
   * refuse it `OVERLOADED` (the device's own oldest beyond its share go first).
   */
  hasRoomFor(vaultId: string, deviceId: string): boolean {
    this.sweep();
    let own = 0;
    for (const s of this.byVault.get(vaultId) ?? []) if (s.deviceId === deviceId) own += 1;
    return this.byId.size - Math.max(0, own - (MAX_SESSIONS_PER_DEVICE - 1)) < MAX_SESSIONS;
  }

  /**
   * The live session `id` of `vaultId`/`deviceId`. Not touched: only a message that
   * authenticates keeps a session alive ({@link touch}), so the host, which sees
   * session ids, cannot keep one open by naming it.
   * @throws VettidError `UNAUTHENTICATED` when there is none (the device handshakes again).
   */
  get(id: string, vaultId: string, deviceId: string): Session {
    const session = this.byId.get(id);
    const now = this.now();
    if (!session || session.vaultId !== vaultId || session.deviceId !== deviceId || this.expired(session, now)) {
      if (session && this.expired(session, now)) this.remove(session);
      throw new VettidError("UNAUTHENTICATED", "no such session; attest and handshake again");
    }
    return session;
  }

  /** Records that an authentic message arrived on `session`. */
  touch(session: Session): void {
    session.lastUsedAt = this.now();
    this.noExpiryUntil = Math.min(this.noExpiryUntil, deadline(session));
  }

  /** Ends one session. */
  drop(session: Session): void {
    if (this.byId.get(session.id) === session) this.remove(session);
  }

  /** Whether the session's unlock holds now (and refreshes its idle timer). */
  isUnlocked(session: Session): boolean {
    const now = this.now();
    if (session.unlockedAt === undefined || session.lastUnlockedUseAt === undefined) return false;
    if (now - session.lastUnlockedUseAt > UNLOCK_IDLE_MS) {
      session.unlockedAt = undefined;
      session.lastUnlockedUseAt = undefined;
      return false;
    }
    session.lastUnlockedUseAt = now;
    return true;
  }

  markUnlocked(session: Session): void {
    session.unlockedAt = this.now();
    session.lastUnlockedUseAt = session.unlockedAt;
  }

  markLocked(session: Session): void {
    session.unlockedAt = undefined;
    session.lastUnlockedUseAt = undefined;
  }

  /** True while some session of `vaultId` holds an unlock (the runtime keeps its inner layer open). */
  anyUnlocked(vaultId: string): boolean {
    const now = this.now();
    for (const s of this.byVault.get(vaultId) ?? []) {
      if (s.lastUnlockedUseAt !== undefined && now - s.lastUnlockedUseAt <= UNLOCK_IDLE_MS) {
        return true;
      }
    }
    return false;
  }

  /** Whether `vaultId` has any session (expired ones included until they are swept). */
  hasAny(vaultId: string): boolean {
    return this.byVault.has(vaultId);
  }

  /** Removes every expired session now. */
  sweepExpired(): void {
    this.sweep();
  }

  /** Ends every session of a vault (one a recovery moved elsewhere). */
  dropVault(vaultId: string): void {
    for (const s of [...(this.byVault.get(vaultId) ?? [])]) this.remove(s);
  }

  /** Ends every session of a device that is no longer authorized for the vault. */
  dropDevice(vaultId: string, deviceId: string): void {
    for (const s of [...(this.byVault.get(vaultId) ?? [])]) if (s.deviceId === deviceId) this.remove(s);
  }

  private expired(session: Session, now: number): boolean {
    return now - session.lastUsedAt > SESSION_IDLE_MS || now - session.createdAt > SESSION_MAX_AGE_MS;
  }

  private sweep(): void {
    const now = this.now();
    if (now <= this.noExpiryUntil) return;
    let earliest = Number.POSITIVE_INFINITY;
    for (const s of this.byId.values()) {
      if (this.expired(s, now)) this.remove(s);
      else earliest = Math.min(earliest, deadline(s));
    }
    this.noExpiryUntil = earliest;
  }

  private remove(session: Session): void {
    this.byId.delete(session.id);
    const ofVault = this.byVault.get(session.vaultId);
    ofVault?.delete(session);
    if (ofVault?.size === 0) this.byVault.delete(session.vaultId);
  }
}

/** The last time `session` is still live: it expires once the clock passes this ({@link Sessions} `expired`). */
function deadline(session: Session): number {
  return Math.min(session.lastUsedAt + SESSION_IDLE_MS, session.createdAt + SESSION_MAX_AGE_MS);
}
