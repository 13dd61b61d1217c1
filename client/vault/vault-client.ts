import { randomBytes } from "node:crypto";
import { type AttestationVerifyOptions, type VerifiedAttestation, verifyAttestation } from "../../lib/attestation";
import { sodiumReady } from "../../lib/crypto";
import { SealedChannel } from "../../lib/envelope";
import { VettidError } from "../../lib/errors";
import {
  attestationDigest,
  HANDSHAKE_KEYS_DIGEST_BYTES,
  handshakeKeyDigest,
  initiateHandshake,
  verifyAttestedHandshakeKeys,
} from "../../lib/handshake";
import type { Manifest } from "../../lib/manifest";
import {
  deviceFingerprint,
  IDENTITY_FINGERPRINT_BYTES,
  identityFingerprint,
  pairingProof,
  pairingSas,
} from "../../lib/pairing";
import { PROXY_ATTESTATION_PURPOSE } from "../../lib/proxy-protocol";
import { type AuditEntry, auditGenesis, equalDigests, MAX_AUDIT_PAGE, verifyAuditRun } from "../../lib/vault-audit";
import {
  ATTEST_NONCE_BYTES,
  type DeviceMessage,
  documentNonce,
  type EnclaveMessage,
  encodeDeviceMessage,
  encodeHandshakePayload,
  encodeRequest,
  type FoundingOpening,
  MAX_AVOIDED_ENCLAVES,
  parseAnswer,
  parseEnclaveMessage,
  parseHandshakeAnswer,
  type VaultOp,
  type VaultRequest,
  type VaultResults,
} from "../../lib/vault-protocol";
import { type ChangeEvent, equalSyncDigests, MAX_CHANGES_PAGE, verifyChangeRun } from "../../lib/vault-sync";

/** How the client reaches its vault: one request/reply on the vault's request subject. */
export type VaultTransport = (data: Uint8Array, timeoutMs: number) => Promise<Uint8Array>;

/**
 * One request on the vault's request subject and every answer that arrives within
 * `windowMs`, as it arrives (NATS request-many, on a fresh inbox): how a device hears
 * every host's answer and takes the one that authenticates, so no host's forged answer
 * can stand in for its enclave's (decision 0079), and how a device whose enclave went
 * silent hears the other enclaves' attestations and picks one (decision 0078). The
 * device stops iterating once it chose, and aborts `signal` then: the gather stops
 * listening at once.
 */
export type VaultGather = (data: Uint8Array, windowMs: number, signal?: AbortSignal) => AsyncIterable<Uint8Array>;

/** What the device remembers about its vault between runs (DIR/vault.json). */
export interface VaultMemory {
  /** The highest state version any answer carried; an older one is refused. */
  stateVersion: number;
  /** The vault's identity public key from init (base64url); a vault presenting another is refused. */
  identityKey?: string;
  /**
   * The audit log's head when this device last read it: its last sequence number and
   * the chain digest after it (base64url). A later log must extend it: one that is
   * shorter, or holds other entries up to it, is refused.
   */
  audit?: { seq: number; digest: string };
  /**
   * Where this device stands in the vault's changes (docs/protocol.md §Changes): the
   * last sequence number it applied, the chain digest after it (base64url), and the
   * log cursor the enclave handed back. The next changes must continue from exactly it.
   */
  changes?: { seq: number; digest: string; cursor: number };
  /**
   * Enclaves that went silent in this device's sessions: each one's handshake key digest
   * (base64url) and when it went silent (ms since the epoch). Sessions are opened with
   * another enclave, which takes the vault over unless it holds it (decision 0078), for
   * {@link SILENT_MEMORY_MS} after each went silent.
   */
  silent?: SilentEnclave[];
}

/** An enclave that did not answer in time (see {@link VaultMemory.silent}). */
export interface SilentEnclave {
  digest: string;
  at: number;
}

/**
 * How long an unauthenticated `error` answer to a sealed request waits for one that
 * authenticates (decision 0079). Any host may answer each request once, and an `error`
 * names no sender: taken at once, one forged by any host would stand in for the
 * enclave's real answer. An enclave's own plain `error`s there (a session it does not
 * hold, an envelope it could not open) come before any slow work, so this delays only
 * those. A plain `error` to a handshake waits for nothing: it is passed over.
 */
export const ERROR_GRACE_MS = 2_000;

/** How long a device keeps avoiding an enclave that went silent: a blip is forgiven after this. */
export const SILENT_MEMORY_MS = 10 * 60_000;

/** Most pages without events in a row one catch-up follows (each moves the enclave's cursor on). */
const MAX_EMPTY_CHANGE_PAGES = 64;

/** The changes {@link VaultClient.syncChanges} got, verified, and where the device stands now. */
export interface VerifiedChanges {
  /** The changes since the position the device remembered, in order (none when it started following, or with `onEvents`). */
  events: ChangeEvent[];
  /** The head: the last sequence number (0 before any change) and the chain digest after it. */
  head: { seq: number; digest: Uint8Array };
  /** True when the device had no position: it starts following at the head (list the items once). */
  started: boolean;
}

/** The whole audit log as {@link VaultClient.readAudit} verified it. */
export interface VerifiedAuditLog {
  entries: AuditEntry[];
  /** The last sequence number (0 for an empty log) and the chain digest after it. */
  head: { seq: number; digest: Uint8Array };
}

/** Options of {@link VaultClient}. */
export interface VaultClientOptions {
  vaultId: string;
  deviceId: string;
  /** The device's static X25519 key (its registered exchange key). */
  deviceKey: { publicKey: Uint8Array; privateKey: Uint8Array };
  transport: VaultTransport;
  /**
   * Roots and the manifest the enclave's attestation must verify against (DESIGN.md §3.3).
   * The manifest is required: without it no PCR would be checked.
   */
  attestation: Pick<AttestationVerifyOptions, "trustedRoots" | "time"> & { manifest: Manifest };
  /** What this device saw before (it only moves forward). */
  memory: VaultMemory;
  /**
   * For a device that joined by pairing and has not pinned the identity key yet: the
   * identity fingerprint its pairing code carries (10 bytes, lib/pairing). An identity
   * key with another fingerprint is refused (`VAULT_IDENTITY_MISMATCH`) and never pinned.
   */
  expectedIdentity?: Uint8Array;
  /** Called whenever {@link VaultMemory} moves forward, so the caller can persist it. */
  remember?: (memory: VaultMemory) => void;
  /** Per request (default 15 s: an unlock waits for Argon2id and two conditional writes). */
  timeoutMs?: number;
  /**
   * Hears every enclave's answer to one request; used only to open a session after an
   * enclave went silent. Without it the first answer of the transport is the only one
   * looked at.
   */
  gather?: VaultGather;
  /** How long {@link gather} listens for attestations (default 1 s). */
  gatherWindowMs?: number;
  /**
   * With {@link gather}: how long an `error` answer to a sealed request (which nothing
   * authenticates) waits for an answer that authenticates before it is taken (default
   * {@link ERROR_GRACE_MS}).
   */
  errorGraceMs?: number;
  /** The device's clock, for how long it avoids a silent enclave (default `Date.now`). */
  now?: () => number;
  /**
   * The founding device's opening of the vault id (its signing key and the vault salt of
   * its enrollment). Sent in every handshake: a vault with no state yet admits only the
   * key its id commits to (docs/protocol.md §Handshake payload). Without it, a
   * `vault.init` or `recovery.start` request's own `signingKey` and `vaultSalt` are used.
   */
  founding?: FoundingOpening;
}

/** A vault operation that failed with a typed code. */
export class VaultOperationError extends VettidError {
  constructor(
    code: ConstructorParameters<typeof VettidError>[0],
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(code, message);
    this.name = "VaultOperationError";
  }
}

/**
 * Most attestation documents {@link VaultClient} verifies when it asks other enclaves than
 * a silent one (each host may answer with bytes of its own making; what is not an
 * attestation, or repeats keys seen, costs only a parse and does not count).
 */
export const MAX_GATHERED_ANSWERS = 32;

/** A session this client opened, with the handshake key digest of the enclave it opened it at. */
interface OpenSession {
  id: string;
  channel: SealedChannel;
  handshakeHash: Uint8Array;
  enclave: Uint8Array;
}

/** An attestation answer that verified, with the keys it vouches for. */
interface Attested {
  answer: Extract<EnclaveMessage, { t: "attestation" }>;
  verified: VerifiedAttestation;
  enclaveKeys: ReturnType<typeof verifyAttestedHandshakeKeys>;
  keyDigest: Uint8Array;
}

const equalBytes = (a: Uint8Array | undefined, b: Uint8Array): boolean =>
  a !== undefined && Buffer.from(a).equals(Buffer.from(b));

/** How old an attestation document may be when the device checks it. */
const MAX_DOCUMENT_AGE_MS = 5 * 60_000;

/**
 * The reference device side of the vault protocol (docs/protocol.md §Vault protocol),
 * doing exactly what an app does: ask for an attestation with a fresh nonce, verify it
 * (chain, nonce, age, PCRs in the manifest, the session-keys purpose and the digest of
 * the handshake keys), run the hybrid handshake with the device's registered key, then
 * send operations in sealed envelopes, each answer bound to its request. Every answer's
 * state version must not be older than the highest seen.
 *
 * @example
 * const vault = new VaultClient({ vaultId, deviceId, deviceKey, transport, attestation: { trustedRoots, manifest }, memory });
 * await vault.call("vault.unlock", { op: "vault.unlock", pin });
 * const { item } = await vault.call("items.get", { op: "items.get", name: "bank" });
 */
export class VaultClient {
  private session: OpenSession | undefined;
  private connecting: { founding: FoundingOpening | undefined; done: Promise<OpenSession> } | undefined;
  private verified: VerifiedAttestation | undefined;
  private memory: VaultMemory;
  private expectedIdentity: Uint8Array | undefined;

  constructor(private readonly options: VaultClientOptions) {
    if (!options.attestation?.manifest) {
      throw new VettidError("VALIDATION_FAILED", "a verified manifest is required to check the enclave's PCRs");
    }
    this.memory = { ...options.memory };
    this.expectedIdentity = options.expectedIdentity ? new Uint8Array(options.expectedIdentity) : undefined;
  }

  /** The attestation this client verified for its current session. */
  get attestation(): VerifiedAttestation | undefined {
    return this.verified;
  }

  /** The final handshake hash of the current session (64 bytes; channel binding), or undefined before one. */
  get channelBinding(): Uint8Array | undefined {
    return this.session ? new Uint8Array(this.session.handshakeHash) : undefined;
  }

  /** What the device knows of its vault now. */
  get known(): VaultMemory {
    return { ...this.memory };
  }

  /**
   * Asks for a fresh attestation and verifies it exactly as {@link connect} does,
   * without opening a session (what a reviewer checks of the live enclave).
   */
  async attest(): Promise<VerifiedAttestation> {
    return (await this.verifyFreshAttestation()).verified;
  }

  /**
   * Verifies a fresh attestation and opens a session (done by the first {@link call}
   * too). After an enclave went silent (decision 0078): asks the others first, preferring
   * the one that holds the vault's lease, and takes the vault over at another when the
   * holder is among the silent; when none of them answers, gives the silent ones another
   * chance, the one silent longest first, and in the end asks as usual. A take-over that
   * the chosen enclave refuses (an open pairing lives only with its owner) is followed by
   * a session asked as usual.
   */
  async connect(founding: FoundingOpening | undefined = this.options.founding): Promise<void> {
    await this.openSession(founding);
  }

  /** {@link connect}, resolving with the session it opened (which `this.session` holds until another replaces it). */
  private async openSession(founding: FoundingOpening | undefined): Promise<OpenSession> {
    this.session = undefined;
    const silent = this.liveSilent().map((s) => new Uint8Array(Buffer.from(s.digest, "base64url")));
    let chosen: Awaited<ReturnType<VaultClient["attestAvoiding"]>>["chosen"];
    for (let avoiding = silent; !chosen && avoiding.length > 0; avoiding = avoiding.slice(1)) {
      const heard = await this.attestAvoiding(avoiding);
      // a window cut short says nothing of who else is there: no second chance for the silent ones from it
      if (!heard.complete) throw new VettidError("UNAVAILABLE", "the enclaves' answers could not be heard; try again");
      chosen = heard.chosen;
    }
    if (chosen) {
      try {
        return await this.handshakeWith(chosen, founding, !chosen.holdsLease);
      } catch (err) {
        // refused (not silent: that is a TIMEOUT, remembered): ask as usual
        if (!(err instanceof VaultOperationError)) throw err;
      }
    }
    let plain: Attested;
    try {
      plain = await this.verifyFreshAttestation();
    } catch (err) {
      // No usable answer to a plain attest, which only the lease holder answers: its host
      // may be dropping or spoiling them. Ask every enclave (an `avoid` that names none)
      // and take the holder's answer, or another one's to take the vault over.
      const heard = await this.attestAvoiding([new Uint8Array(randomBytes(HANDSHAKE_KEYS_DIGEST_BYTES))]);
      if (!heard.chosen) throw err;
      return this.handshakeWith(heard.chosen, founding, !heard.chosen.holdsLease);
    }
    return this.handshakeWith(plain, founding, false);
  }

  private async handshakeWith(
    attested: Attested,
    founding: FoundingOpening | undefined,
    takeOver: boolean,
  ): Promise<OpenSession> {
    const { answer, verified, enclaveKeys, keyDigest } = attested;
    const digest = attestationDigest(answer.document);
    const handshake = initiateHandshake({
      deviceKey: this.options.deviceKey,
      enclaveKeys,
      context: { vaultId: this.options.vaultId, deviceId: this.options.deviceId, attestationDigest: digest },
      payload: encodeHandshakePayload({ founding, takeOver }),
    });
    let finished: ReturnType<typeof handshake.finish>;
    try {
      finished = await this.exchangeAuthentic(
        { t: "handshake", attestation: digest, message: handshake.message },
        keyDigest,
        (reply) => {
          if (reply.t !== "handshake") throw unexpected(reply);
          // a message 2 that does not authenticate leaves the handshake as it was
          return handshake.finish(reply.message);
        },
      );
    } finally {
      // wipes the handshake's own keys (a no-op once it finished)
      handshake.abandon();
    }
    const { session, payload } = finished;
    try {
      const said = parseHandshakeAnswer(payload);
      // the enclave's own refusal: message 2 authenticates it (decision 0079)
      if (!said.ok) throw new VaultOperationError(said.code, said.message);
      this.advance(said.stateVersion);
    } catch (err) {
      // no session: its keys go
      session.keys.tx.fill(0);
      session.keys.rx.fill(0);
      throw err;
    }
    const opened: OpenSession = {
      id: session.sessionId,
      channel: new SealedChannel({ role: "device", keys: session.keys, context: session.context }),
      handshakeHash: new Uint8Array(session.handshakeHash),
      enclave: keyDigest,
    };
    this.session = opened;
    this.verified = verified;
    return opened;
  }

  /**
   * Runs one operation and returns its result.
   * @throws VaultOperationError with the enclave's typed code; VettidError for a
   *   stale state, a changed identity key, or a transport failure.
   */
  async call<O extends VaultOp>(op: O, request: Extract<VaultRequest, { op: O }>): Promise<VaultResults[O]> {
    const session = this.session ?? (await this.connectOnce(this.options.founding ?? openingOf(request)));
    return this.callIn(session, op, request);
  }

  /**
   * {@link connect}, shared by the calls with the same founding opening that find no
   * session at the same time: one attestation and one handshake for all of them (each
   * would spend one of the few documents the enclave keeps per device, and an enclave
   * that forgot a document does not answer its handshake). Resolves with the session it
   * opened.
   */
  private async connectOnce(founding: FoundingOpening | undefined): Promise<OpenSession> {
    const shared = this.connecting;
    const attempt =
      shared && sameOpening(shared.founding, founding) ? shared : { founding, done: this.openSession(founding) };
    if (attempt !== shared) {
      this.connecting = attempt;
      void attempt.done
        .finally(() => {
          if (this.connecting === attempt) this.connecting = undefined;
        })
        .catch(() => undefined);
    }
    return attempt.done;
  }

  /**
   * Joins the vault as a new device (docs/protocol.md §Pairing): in its session (opened
   * first when there is none), first reads the vault's identity key (`vault.status`)
   * and refuses a vault whose key does not have the pairing code's identity
   * fingerprint, before anything is proved; then proves the pairing secret for this
   * device's keys and that session's handshake hash (`device.pair.join`), and returns
   * the short authentication string to show beside the one the approving device
   * shows, this device's key fingerprint, and the identity key it pinned.
   * The secret never leaves the device: only the proof does.
   * @throws VettidError `VAULT_IDENTITY_MISMATCH` for another vault's identity key (or
   *   a vault not initialized); `PAIRING_EXPIRED` when the vault holds no pairing.
   */
  async joinPairing(input: {
    secret: Uint8Array;
    signingKey: Uint8Array;
    label: string;
    /** The identity fingerprint of the pairing code (10 bytes). */
    identityFingerprint: Uint8Array;
  }): Promise<{ sas: string; fingerprint: string; identityKey: Uint8Array }> {
    await sodiumReady();
    if (input.identityFingerprint?.length !== IDENTITY_FINGERPRINT_BYTES) {
      throw new VettidError("VALIDATION_FAILED", `the identity fingerprint is ${IDENTITY_FINGERPRINT_BYTES} bytes`);
    }
    this.expectedIdentity = new Uint8Array(input.identityFingerprint);
    const session = this.session ?? (await this.connectOnce(this.options.founding));
    const status = await this.callIn(session, "vault.status", { op: "vault.status" });
    if (!status.initialized) {
      throw new VettidError(
        "VAULT_IDENTITY_MISMATCH",
        "the vault this device reached is not initialized: not the inviting device's",
      );
    }
    if (!status.identityKey) {
      throw new VettidError(
        "PAIRING_EXPIRED",
        "the vault holds no open pairing; start another on an authorized device",
      );
    }
    // checkIdentity refused another fingerprint already; this holds whatever memory said before
    this.assertExpectedIdentity(status.identityKey);
    const transcript = {
      vaultId: this.options.vaultId,
      deviceId: this.options.deviceId,
      signingKey: input.signingKey,
      exchangeKey: this.options.deviceKey.publicKey,
      handshakeHash: session.handshakeHash,
    };
    const proof = pairingProof(input.secret, transcript);
    await this.callIn(session, "device.pair.join", {
      op: "device.pair.join",
      signingKey: input.signingKey,
      label: input.label,
      proof,
    });
    return {
      sas: pairingSas(input.secret, transcript),
      fingerprint: deviceFingerprint(input.signingKey, this.options.deviceKey.publicKey),
      identityKey: new Uint8Array(status.identityKey),
    };
  }

  private async callIn<O extends VaultOp>(
    session: OpenSession,
    op: O,
    request: Extract<VaultRequest, { op: O }>,
  ): Promise<VaultResults[O]> {
    const sealed = session.channel.seal(op, encodeRequest(request));
    let opened: ReturnType<SealedChannel["openAnswer"]>;
    try {
      opened = await this.exchangeAuthentic(
        { t: "sealed", session: session.id, envelope: sealed.envelope },
        session.enclave,
        (reply) => {
          if (reply.t !== "sealed") throw unexpected(reply);
          // an envelope that does not open leaves the request pending for the real answer
          return session.channel.openAnswer(reply.envelope, sealed.pending);
        },
      );
    } catch (err) {
      // an answer nothing authenticates (no such session, or any host's making): the
      // next operation opens a new session, whose handshake tells whose it was
      if (err instanceof VaultOperationError && this.session === session) this.session = undefined;
      session.channel.cancel(sealed.pending);
      throw err;
    }
    // Bound to the request by its digest already; a different op would be an enclave bug.
    if (opened.op !== op) throw new VettidError("ENVELOPE_WRONG_REQUEST", "the answer names another operation");
    const answer = parseAnswer(op, opened.plaintext);
    if (!answer.ok) {
      if (answer.failure.stateVersion !== undefined) this.advance(answer.failure.stateVersion);
      // a vault a recovery retired: the enclave drops its sessions as it finds out
      if (answer.failure.code === "VAULT_RECOVERED" && this.session === session) this.session = undefined;
      throw new VaultOperationError(answer.failure.code, answer.failure.message, answer.failure.retryAfterMs);
    }
    this.advance(answer.result.stateVersion);
    const identityKey = (answer.result as { identityKey?: Uint8Array | null }).identityKey;
    if (identityKey) this.checkIdentity(identityKey, op === "vault.init");
    return answer.result;
  }

  /**
   * Reads the whole audit log page by page (`vault.audit`, the session must be
   * unlocked) and verifies it: every page continues the chain from `digest_0` of this
   * vault, its sequence numbers follow without a gap, the last page ends at the head
   * the enclave names, and the log extends the head this device remembers (same
   * digest at that sequence number). Then remembers the new head.
   *
   * @throws VettidError `AUDIT_INVALID` for a broken chain or a log that rewrites
   *   entries this device saw; `STALE_STATE` for one shorter than it saw.
   */
  async readAudit(): Promise<VerifiedAuditLog> {
    await sodiumReady();
    const vaultId = this.options.vaultId;
    const remembered = this.memory.audit;
    const entries: AuditEntry[] = [];
    let digest = auditGenesis(vaultId);
    let seenDigest: Uint8Array | undefined;
    let headSeq = 0;
    for (;;) {
      const fromSeq = entries.length + 1;
      const page = await this.call("vault.audit", { op: "vault.audit", fromSeq, limit: MAX_AUDIT_PAGE });
      if (!equalDigests(page.before, digest)) {
        throw new VettidError("AUDIT_INVALID", `the audit page at ${fromSeq} does not continue the chain`);
      }
      if (page.headSeq < entries.length + page.entries.length) {
        throw new VettidError("AUDIT_INVALID", "the audit page reaches past the head it names");
      }
      const run = verifyAuditRun(vaultId, digest, fromSeq, page.entries);
      for (const [i, entry] of run.entries.entries()) {
        entries.push(entry);
        if (remembered && entry.seq === remembered.seq) seenDigest = run.digests[i];
      }
      digest = run.end;
      headSeq = page.headSeq;
      if (entries.length >= headSeq) {
        if (!equalDigests(digest, page.headDigest)) {
          throw new VettidError("AUDIT_INVALID", "the audit log does not end at the head the vault names");
        }
        break;
      }
      if (page.entries.length === 0) throw new VettidError("AUDIT_INVALID", "the audit log stops short of its head");
    }
    if (remembered && remembered.seq > 0) {
      if (headSeq < remembered.seq) {
        throw new VettidError(
          "STALE_STATE",
          `the audit log ends at ${headSeq}, before entry ${remembered.seq} this device saw`,
        );
      }
      if (!seenDigest || Buffer.from(seenDigest).toString("base64url") !== remembered.digest) {
        throw new VettidError(
          "AUDIT_INVALID",
          `the audit log rewrites entries up to ${remembered.seq} this device saw`,
        );
      }
    }
    if (headSeq > (remembered?.seq ?? 0)) {
      this.memory = { ...this.memory, audit: { seq: headSeq, digest: Buffer.from(digest).toString("base64url") } };
      this.options.remember?.(this.known);
    }
    return { entries, head: { seq: headSeq, digest } };
  }

  /**
   * Catches up with the vault's changes (`vault.changes`, the session must be unlocked):
   * every change since the position this device remembers, page by page, each page
   * continuing the chain from the digest it remembers, without a gap, up to the head the
   * enclave names. A device with no position starts following at the head (it lists the
   * items once, then applies changes from there).
   *
   * The new position is remembered only once the changes are the caller's: at the end,
   * with all of them returned; or, with `onEvents`, after each page it was handed and
   * applied (then none are returned: a long catch-up is not held in memory). A failure
   * part way remembers nothing past what was handed over, so a change is never skipped
   * (one handed over before a crash may come again: apply changes idempotently, by
   * version).
   *
   * @throws VettidError `SYNC_INVALID` for a broken chain or changes that do not continue
   *   from what this device saw; `STALE_STATE` for a head older than it saw;
   *   VaultOperationError `CHANGES_TRUNCATED` when the vault no longer keeps changes that
   *   old: list the items again, then {@link forgetChanges} and sync.
   */
  async syncChanges(
    options: { onEvents?: (events: ChangeEvent[]) => void | Promise<void> } = {},
  ): Promise<VerifiedChanges> {
    await sodiumReady();
    const vaultId = this.options.vaultId;
    const remembered = this.memory.changes;
    if (remembered === undefined) {
      const page = await this.call("vault.changes", { op: "vault.changes" });
      if (page.events.length > 0) throw new VettidError("SYNC_INVALID", "a start of following carries no changes");
      this.rememberChanges(page.headSeq, page.headDigest, page.cursor);
      return { events: [], head: { seq: page.headSeq, digest: page.headDigest }, started: true };
    }
    const events: ChangeEvent[] = [];
    let seq = remembered.seq;
    let digest: Uint8Array = new Uint8Array(Buffer.from(remembered.digest, "base64url"));
    let cursor = remembered.cursor;
    let emptyPages = 0;
    for (;;) {
      const page = await this.call("vault.changes", {
        op: "vault.changes",
        fromSeq: seq + 1,
        cursor,
        limit: MAX_CHANGES_PAGE,
      });
      if (page.headSeq < seq) {
        throw new VettidError(
          "STALE_STATE",
          `the changes end at ${page.headSeq}, before change ${seq} this device saw`,
        );
      }
      if (page.headSeq < seq + page.events.length) {
        throw new VettidError("SYNC_INVALID", "the changes reach past the head they name");
      }
      if (page.events.length === 0 && seq < page.headSeq) {
        // the enclave ran out of its read budget before the next change: go on from its cursor
        if (page.cursor <= cursor || ++emptyPages > MAX_EMPTY_CHANGE_PAGES) {
          throw new VettidError("SYNC_INVALID", "the changes stop short of their head");
        }
        cursor = page.cursor;
        continue;
      }
      if (page.events.length > 0 && !equalSyncDigests(page.before, digest)) {
        throw new VettidError("SYNC_INVALID", `the changes after ${seq} do not continue from what this device saw`);
      }
      const run = verifyChangeRun(vaultId, digest, seq + 1, page.events);
      seq += run.events.length;
      digest = run.end;
      cursor = page.cursor;
      const done = seq === page.headSeq;
      if (done && !equalSyncDigests(digest, page.headDigest)) {
        throw new VettidError("SYNC_INVALID", "the changes do not end at the head the vault names");
      }
      if (options.onEvents) {
        await options.onEvents(run.events);
        this.rememberChanges(seq, digest, cursor);
      } else {
        events.push(...run.events);
      }
      if (done) {
        this.rememberChanges(seq, digest, cursor);
        return { events, head: { seq, digest }, started: false };
      }
    }
  }

  /** Forgets this device's position in the changes (after listing the items again, say). */
  forgetChanges(): void {
    const { changes: _changes, ...rest } = this.memory;
    this.memory = rest;
    this.options.remember?.(this.known);
  }

  private rememberChanges(seq: number, digest: Uint8Array, cursor: number): void {
    this.memory = { ...this.memory, changes: { seq, digest: Buffer.from(digest).toString("base64url"), cursor } };
    this.options.remember?.(this.known);
  }

  /**
   * Asks for an attestation with a fresh nonce (the first answer: nats-server's own
   * "no responders" says at once that no enclave serves the vault) and verifies it. An
   * answer that does not verify is followed by asking every enclave ({@link connect}).
   */
  private async verifyFreshAttestation(): Promise<Attested> {
    const nonce = new Uint8Array(randomBytes(ATTEST_NONCE_BYTES));
    return this.verifyAttestationAnswer(await this.exchange({ t: "attest", nonce }), documentNonce(nonce));
  }

  /**
   * Asks for attestations from every enclave but the `silent` ones (decision 0078): an
   * answer from the enclave that holds the vault's lease is taken at once, otherwise the
   * first other one that verified, once the window is over. The document's nonce binds
   * the request and whether its enclave holds the lease (lib/vault-protocol
   * `documentNonce`), so a document made for a request the host changed does not verify
   * and the holder's claim is the enclave's own; the silent enclaves' answers are passed
   * over before their documents are checked. Every answer within the window is looked at
   * (each host may answer once with bytes of its own making): what is not an
   * attestation, or repeats keys already seen, costs a parse; at most
   * {@link MAX_GATHERED_ANSWERS} documents are verified. `chosen` is undefined when no
   * other enclave answered with a document that verified; `complete` is false when the
   * window did not run its length and nothing was chosen.
   */
  private async attestAvoiding(silent: Uint8Array[]) {
    const nonce = new Uint8Array(randomBytes(ATTEST_NONCE_BYTES));
    const request = encodeDeviceMessage({ t: "attest", nonce, avoid: silent });
    const gather = this.options.gather;
    const transport = this.options.transport;
    const timeoutMs = this.options.timeoutMs ?? 15_000;
    const answers: AsyncIterable<Uint8Array> = gather
      ? gather(request, this.options.gatherWindowMs ?? 1_000)
      : (async function* one() {
          // the transport's one answer; no answer in time is a window that ran its length
          try {
            yield await transport(request, timeoutMs);
          } catch (err) {
            if (!(err instanceof VettidError && err.code === "TIMEOUT")) throw err;
          }
        })();
    const fromHolder = documentNonce(nonce, silent, true);
    const fromOther = documentNonce(nonce, silent, false);
    const seen = new Set<string>(silent.map((d) => Buffer.from(d).toString("hex")));
    let other: (Attested & { holdsLease: boolean }) | undefined;
    let verifications = 0;
    try {
      for await (const bytes of answers) {
        let answer: EnclaveMessage;
        try {
          answer = parseEnclaveMessage(bytes);
        } catch {
          continue;
        }
        if (answer.t !== "attestation") continue;
        const keys = Buffer.from(handshakeKeyDigest(answer.x25519, answer.mlkem)).toString("hex");
        if (seen.has(keys)) continue;
        seen.add(keys);
        if (verifications >= MAX_GATHERED_ANSWERS) continue;
        verifications += 1;
        let attested: Attested;
        try {
          attested = await this.verifyAttestationAnswer(answer, [fromHolder, fromOther]);
        } catch {
          continue; // not a document of an approved enclave made for this request
        }
        const holdsLease = equalBytes(attested.verified.nonce, fromHolder);
        if (holdsLease) return { chosen: { ...attested, holdsLease }, complete: true };
        other ??= { ...attested, holdsLease };
      }
    } catch {
      // the window did not run its length (the connection failed): what was heard stands,
      // but not that nobody else answered
      return { chosen: other, complete: other !== undefined };
    }
    return { chosen: other, complete: true };
  }

  /** The silent enclaves still avoided, the one silent longest first. */
  private liveSilent(): SilentEnclave[] {
    const since = (this.options.now ?? Date.now)() - SILENT_MEMORY_MS;
    // in the order they went silent (wentSilent appends), the one silent longest first
    return (this.memory.silent ?? []).filter((s) => s.at >= since);
  }

  /**
   * Verifies an attestation answer whose document must carry `expectedNonce`, or one of
   * them (lib/vault-protocol `documentNonce`).
   */
  private async verifyAttestationAnswer(
    answer: EnclaveMessage,
    expectedNonce: Uint8Array | readonly Uint8Array[],
  ): Promise<Attested> {
    if (answer.t !== "attestation") throw unexpected(answer);
    const verified = await verifyAttestation(answer.document, {
      ...this.options.attestation,
      expectedNonce,
      maxAgeMs: MAX_DOCUMENT_AGE_MS,
    });
    if (verified.userData && Buffer.from(verified.userData).toString("utf8") === PROXY_ATTESTATION_PURPOSE) {
      throw new VettidError("ATTESTATION_INVALID", "the document was made for the proxy, not for a device session");
    }
    const enclaveKeys = verifyAttestedHandshakeKeys(verified.userData, { x25519: answer.x25519, mlkem: answer.mlkem });
    return { answer, verified, enclaveKeys, keyDigest: handshakeKeyDigest(answer.x25519, answer.mlkem) };
  }

  private advance(stateVersion: number): void {
    if (!Number.isSafeInteger(stateVersion) || stateVersion < this.memory.stateVersion) {
      throw new VettidError(
        "STALE_STATE",
        `the vault answered with state version ${stateVersion}, older than ${this.memory.stateVersion} seen before`,
      );
    }
    if (stateVersion > this.memory.stateVersion) {
      this.memory = { ...this.memory, stateVersion };
      this.options.remember?.(this.known);
    }
  }

  /** Refuses an identity key whose fingerprint is not the one expected (when one is). */
  private assertExpectedIdentity(key: Uint8Array): void {
    const expected = this.expectedIdentity;
    if (expected && !Buffer.from(identityFingerprint(key)).equals(Buffer.from(expected))) {
      throw new VettidError(
        "VAULT_IDENTITY_MISMATCH",
        "the vault's identity key is not the one the pairing code names: this is not the inviting device's vault",
      );
    }
  }

  private checkIdentity(key: Uint8Array, initializing: boolean): void {
    const text = Buffer.from(key).toString("base64url");
    if (this.memory.identityKey === undefined) this.assertExpectedIdentity(key);
    if (this.memory.identityKey === undefined || initializing) {
      if (this.memory.identityKey !== undefined && this.memory.identityKey !== text) {
        throw new VettidError("CONFLICT", "the vault presents another identity key than it had");
      }
      this.memory = { ...this.memory, identityKey: text };
      this.options.remember?.(this.known);
      return;
    }
    if (this.memory.identityKey !== text) {
      throw new VettidError("CONFLICT", "the vault presents another identity key than it had");
    }
  }

  /**
   * Sends one message and parses the answer. When `enclave` (the handshake key digest of
   * the enclave it is meant for) does not answer in time, that enclave is remembered as
   * silent and the session dropped: the next one is opened with another enclave, which
   * takes the vault over (decision 0078).
   */
  private async exchange(message: DeviceMessage, enclave?: Uint8Array): Promise<EnclaveMessage> {
    let raw: Uint8Array;
    try {
      raw = await this.options.transport(encodeDeviceMessage(message), this.options.timeoutMs ?? 15_000);
    } catch (err) {
      if (enclave && err instanceof VettidError && err.code === "TIMEOUT") this.wentSilent(enclave);
      throw err;
    }
    return parseEnclaveMessage(raw);
  }

  /**
   * Sends a handshake or sealed message meant for `enclave` and returns what `open`
   * makes of the first answer that authenticates (decision 0079). With a
   * {@link VaultClientOptions.gather}, every host's answer is heard: an answer `open` refuses
   * (bytes a host made up, another session's envelope, a replay) is passed over; an
   * `error` answer to a sealed request, which nothing authenticates, is taken only when
   * nothing authenticates within {@link ERROR_GRACE_MS} after it, and one to a handshake
   * (whose refusals the enclave makes in message 2) is passed over too; when nothing
   * but passed-over answers came within the request's timeout, `enclave` is remembered
   * as silent, as when nothing came (a host that answers with junk or errors instead of
   * dropping is no better). A gather that fails (the connection closed) names nobody
   * silent. Without a gather, the transport's one answer is all there is.
   */
  private async exchangeAuthentic<T>(
    message: DeviceMessage,
    enclave: Uint8Array,
    open: (reply: EnclaveMessage) => T,
  ): Promise<T> {
    const gather = this.options.gather;
    if (!gather) return open(await this.exchange(message, enclave));
    const timeoutMs = this.options.timeoutMs ?? 15_000;
    const graceMs = this.options.errorGraceMs ?? ERROR_GRACE_MS;
    const listening = new AbortController();
    const answers = gather(encodeDeviceMessage(message), timeoutMs, listening.signal)[Symbol.asyncIterator]();
    let refusal: Extract<EnclaveMessage, { t: "error" }> | undefined;
    let graceTimer: ReturnType<typeof setTimeout> | undefined;
    let graceOver: Promise<"grace over"> | undefined;
    let passedOver: string | undefined;
    try {
      for (;;) {
        const next = answers.next();
        let step: IteratorResult<Uint8Array> | "grace over";
        if (graceOver) {
          // the race may leave `next` behind: its failure then is nobody's to see
          next.catch(() => undefined);
          step = await Promise.race([next, graceOver]);
        } else {
          step = await next;
        }
        if (step === "grace over" || step.done) break;
        let reply: EnclaveMessage;
        try {
          reply = parseEnclaveMessage(step.value);
        } catch {
          continue;
        }
        if (reply.t === "error") {
          // the enclave refuses an authentic handshake in message 2; a plain error to
          // one waits for nothing: a slow owner's answer may still come
          if (message.t === "handshake") {
            passedOver = `${reply.code}: ${reply.message}`;
            continue;
          }
          if (refusal === undefined) {
            refusal = reply;
            graceOver = new Promise((resolve) => {
              graceTimer = setTimeout(() => resolve("grace over"), graceMs);
            });
          }
          continue;
        }
        try {
          return open(reply);
        } catch (err) {
          // not the enclave's: a host made it up, or it answers something else
          passedOver = err instanceof Error ? err.message : String(err);
        }
      }
    } finally {
      clearTimeout(graceTimer);
      listening.abort();
      void answers.return?.()?.catch(() => undefined);
    }
    if (refusal) {
      // the enclave's own (a session it does not hold: nothing ran) or any host's making
      throw new VaultOperationError(
        refusal.code,
        `${refusal.message} (an answer nothing authenticates: if a host made it up, the operation may still have run)`,
      );
    }
    // An enclave refuses a handshake whose message 1 is authentic in message 2; what it
    // leaves unauthenticated (a document it no longer holds, its rate limit, a message it
    // could not read) only the device itself or the enclave's own host can bring about.
    // So a handshake answered with nothing but errors and junk is that enclave's silence.
    this.wentSilent(enclave);
    throw new VettidError(
      "TIMEOUT",
      passedOver
        ? `the vault sent no answer that authenticates in time (the last one heard: ${passedOver})`
        : "the vault sent no answer that authenticates in time",
    );
  }

  private wentSilent(enclave: Uint8Array): void {
    const digest = Buffer.from(enclave).toString("base64url");
    const at = (this.options.now ?? Date.now)();
    const silent = [...this.liveSilent().filter((s) => s.digest !== digest), { digest, at }].slice(
      -MAX_AVOIDED_ENCLAVES,
    );
    this.memory = { ...this.memory, silent };
    // another call may have opened a session elsewhere meanwhile: that one stays
    if (this.session && equalBytes(this.session.enclave, enclave)) this.session = undefined;
    this.options.remember?.(this.known);
  }
}

function unexpected(answer: EnclaveMessage): VettidError {
  if (answer.t === "error") return new VaultOperationError(answer.code, answer.message);
  return new VettidError("BAD_REQUEST", `unexpected ${answer.t} answer`);
}

/** Whether two founding openings are the same (or both absent). */
function sameOpening(a: FoundingOpening | undefined, b: FoundingOpening | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return equalBytes(a.signingKey, b.signingKey) && equalBytes(a.vaultSalt, b.vaultSalt);
}

/** The founding opening a request carries (`vault.init`, `recovery.start`), if any. */
function openingOf(request: VaultRequest): FoundingOpening | undefined {
  if (request.op !== "vault.init" && request.op !== "recovery.start") return undefined;
  return { signingKey: request.signingKey, vaultSalt: request.vaultSalt };
}
