/**
 * The device ⇄ enclave session handshake: Noise IK with an ML-KEM-768 step
 * (`Noise_IKhybrid_25519+MLKEM768_ChaChaPoly_BLAKE2b`, docs/protocol.md §Session
 * handshake, docs/decisions/0054):
 *
 * ```
 * <- s, skem                         (pre-message: the attested enclave keys)
 * ...
 * -> e, es, kem, s, ss  + payload 1  (device → enclave)
 * <- e, ee, se          + payload 2  (enclave → device)
 * ```
 *
 * `kem`: the device encapsulates to the enclave's static ML-KEM key, sends the
 * ciphertext, `MixHash(ciphertext)`, `MixKey(shared secret)`. Everything after it
 * (the device's static key, both payloads, the session keys) depends on both the
 * X25519 results and the ML-KEM secret. Pure functions over bytes: no I/O, no clock.
 */
import { ml_kem768 } from "@noble/post-quantum/ml-kem.js";
import { randomBytes } from "../crypto/random";
import { sodium } from "../crypto/sodium";
import { VettidError } from "../errors";
import {
  DH_BYTES,
  MAX_PAYLOAD_BYTES,
  MLKEM_ENCAPSULATION_SEED_BYTES,
  MLKEM_PUBLIC_KEY_BYTES,
  MLKEM_SECRET_KEY_BYTES,
  PROTOCOL_NAME,
  SESSION_ID_HASH_BYTES,
} from "./constants";
import { asHandshakeError, failed, invalidInput, rejectUnknownFields } from "./errors";
import { encodeMessage1, encodeMessage2, parseMessage1, parseMessage2 } from "./messages";
import { handshakePrologue } from "./prologue";
import { copy, SymmetricState, wipe } from "./symmetric-state";
import type {
  EnclaveHandshakeKeys,
  EnclaveHandshakePublicKeys,
  HandshakeContext,
  HandshakeSession,
  X25519KeyPair,
} from "./types";

/** Options of {@link initiateHandshake} (device side). */
export interface InitiateHandshakeOptions {
  /** The device's registered static X25519 key pair (the `exchangeKey` it enrolled with). */
  deviceKey: X25519KeyPair;
  /** The enclave's keys, as {@link verifyAttestedHandshakeKeys} returned them. */
  enclaveKeys: EnclaveHandshakePublicKeys;
  /** Vault, device and the digest of the attestation document the device verified. */
  context: HandshakeContext;
  /** The device's request, opaque here (0..4096 bytes). Replayable: see {@link HandshakeRequest.payload}. */
  payload: Uint8Array;
  /** Fixed randomness, for test vectors only. Production leaves it out. */
  randomness?: {
    /** The ephemeral X25519 private key (32 bytes); default lib/crypto `randomBytes`. */
    ephemeralPrivateKey?: Uint8Array;
    /** The ML-KEM encapsulation randomness m (32 bytes); default noble's CSPRNG. */
    kemSeed?: Uint8Array;
  };
}

/** Options of {@link readHandshakeRequest} (enclave side). */
export interface ReadHandshakeRequestOptions {
  /** The enclave's static handshake keys, whose digest its attestation documents carry. */
  enclaveKeys: EnclaveHandshakeKeys;
  /**
   * The vault and device the message arrived for (from its subject) and the digest of
   * the attestation document this enclave gave that device.
   */
  context: HandshakeContext;
  /** Message 1 as received. */
  message: Uint8Array;
}

/** Options of {@link HandshakeRequest.accept}. */
export interface AcceptHandshakeOptions {
  /**
   * Decides, from the vault's sealed state, whether this device key may open the
   * vault. Only `true` accepts; anything else (or a throw) refuses and no reply is made.
   */
  authorize: (deviceKey: Uint8Array) => boolean;
  /** The enclave's answer, opaque here (0..4096 bytes), readable only by the device that holds the key. */
  payload: Uint8Array;
  /** Fixed randomness, for test vectors only. */
  randomness?: {
    /** The ephemeral X25519 private key (32 bytes); default lib/crypto `randomBytes`. */
    ephemeralPrivateKey?: Uint8Array;
  };
}

/**
 * Device side: starts a handshake with the attested enclave keys and returns
 * message 1 to send, and the state that reads the enclave's message 2.
 *
 * @example
 * const verified = await verifyAttestation(document, { expectedNonce, manifest });
 * const enclaveKeys = verifyAttestedHandshakeKeys(verified.userData, keysBesideTheDocument);
 * const handshake = initiateHandshake({
 *   deviceKey,
 *   enclaveKeys,
 *   context: { vaultId, deviceId, attestationDigest: attestationDigest(document) },
 *   payload: request,
 * });
 * const reply = await nc.request(subject, handshake.message);
 * const { session, payload } = handshake.finish(reply.data);
 * const channel = new SealedChannel({ role: "device", keys: session.keys, context: session.context });
 *
 * @throws VettidError `VALIDATION_FAILED` (bad key sizes, context or options),
 *   `PAYLOAD_TOO_LARGE` (payload above 4096 bytes), `HANDSHAKE_FAILED` (an enclave key
 *   that is not a valid X25519 or ML-KEM-768 public key).
 */
export function initiateHandshake(options: InitiateHandshakeOptions): DeviceHandshake {
  if (typeof options !== "object" || options === null) throw invalidInput("handshake options are missing");
  rejectUnknownFields(options, ["deviceKey", "enclaveKeys", "context", "payload", "randomness"], "handshake option");
  const { deviceKey, enclaveKeys, context, payload, randomness = {} } = options;
  checkKeyPair(deviceKey, "deviceKey");
  checkPublicKeys(enclaveKeys);
  checkPayload(payload);
  rejectUnknownFields(randomness, ["ephemeralPrivateKey", "kemSeed"], "randomness");
  const prologue = handshakePrologue(context);

  const state = initialState(prologue, enclaveKeys);
  const ephemeral = ephemeralKeyPair(randomness.ephemeralPrivateKey);
  const staticPrivate = copy(deviceKey.privateKey);
  const kemSeed = optionalBytes(randomness.kemSeed, MLKEM_ENCAPSULATION_SEED_BYTES, "randomness.kemSeed");
  let es: Uint8Array | undefined;
  let kemSecret: Uint8Array | undefined;
  let ss: Uint8Array | undefined;
  try {
    // -> e
    state.mixHash(ephemeral.publicKey);
    // es
    es = dh(ephemeral.privateKey, enclaveKeys.x25519);
    state.mixKey(es);
    // kem
    let encapsulated: { cipherText: Uint8Array; sharedSecret: Uint8Array };
    try {
      encapsulated = ml_kem768.encapsulate(enclaveKeys.mlkem, kemSeed);
    } catch (err) {
      throw failed("the enclave's ML-KEM-768 public key is invalid", err);
    }
    kemSecret = encapsulated.sharedSecret;
    state.mixHash(encapsulated.cipherText);
    state.mixKey(kemSecret);
    // s
    const encryptedStatic = state.encryptAndHash(deviceKey.publicKey);
    // ss
    ss = dh(staticPrivate, enclaveKeys.x25519);
    state.mixKey(ss);
    const encryptedPayload = state.encryptAndHash(payload);
    const message = encodeMessage1({
      ephemeral: ephemeral.publicKey,
      kemCiphertext: encapsulated.cipherText,
      encryptedStatic,
      encryptedPayload,
    });
    return new DeviceHandshake(message, state, ephemeral.privateKey, staticPrivate, ids(context));
  } catch (err) {
    state.wipe();
    wipe(ephemeral.privateKey, staticPrivate);
    throw asHandshakeError(err);
  } finally {
    wipe(es, kemSecret, ss, kemSeed);
  }
}

/**
 * Device side of a handshake in progress: {@link message} to send, then
 * {@link finish} with the enclave's answer. A message 2 that fails leaves the state
 * as it was, so the genuine answer still finishes afterwards; once finished (or
 * abandoned) the state is wiped and every further message 2 is refused.
 */
export class DeviceHandshake {
  private state: SymmetricState | undefined;

  /** @internal Made by {@link initiateHandshake}. */
  constructor(
    /** Message 1: send it to the vault's request subject. */
    readonly message: Uint8Array,
    state: SymmetricState,
    private readonly ephemeralPrivate: Uint8Array,
    private readonly staticPrivate: Uint8Array,
    private readonly context: SessionIds,
  ) {
    this.state = state;
  }

  /** True once {@link finish} succeeded or {@link abandon} was called. */
  get done(): boolean {
    return this.state === undefined;
  }

  /**
   * Reads message 2 and returns the session and the enclave's payload. Nothing is
   * returned unless the whole message authenticates.
   *
   * @throws VettidError `HANDSHAKE_MALFORMED` (version, length) or `HANDSHAKE_FAILED`
   *   (does not authenticate, or the handshake is already done).
   */
  finish(message2: Uint8Array): { session: HandshakeSession; payload: Uint8Array } {
    if (this.state === undefined) throw failed("the handshake is already finished or abandoned");
    const m = parseMessage2(message2);
    const work = this.state.clone();
    let ee: Uint8Array | undefined;
    let se: Uint8Array | undefined;
    let result: { session: HandshakeSession; payload: Uint8Array };
    try {
      // <- e
      work.mixHash(m.ephemeral);
      // ee
      ee = dh(this.ephemeralPrivate, m.ephemeral);
      work.mixKey(ee);
      // se (the initiator's side: its static with the responder's ephemeral)
      se = dh(this.staticPrivate, m.ephemeral);
      work.mixKey(se);
      const payload = work.decryptAndHash(m.encryptedPayload);
      const [initiatorToResponder, responderToInitiator] = work.split();
      result = {
        session: makeSession(this.context, initiatorToResponder, responderToInitiator, work.handshakeHash()),
        payload,
      };
    } catch (err) {
      throw asHandshakeError(err);
    } finally {
      work.wipe();
      wipe(ee, se);
    }
    this.abandon();
    return result;
  }

  /** Wipes the state (for example after a timeout); a later {@link finish} is refused. */
  abandon(): void {
    this.state?.wipe();
    this.state = undefined;
    wipe(this.ephemeralPrivate, this.staticPrivate);
  }
}

/**
 * Enclave side, step 1: reads message 1 and authenticates it, and returns the
 * device's static key and payload. No reply exists yet: the caller checks the key
 * against the vault's authorized device keys and then calls
 * {@link HandshakeRequest.accept}, which refuses unless the check says yes.
 *
 * @example
 * const request = readHandshakeRequest({ enclaveKeys, context, message: msg.data });
 * const { message, session } = request.accept({
 *   authorize: deviceKeyIn(vault.authorizedDeviceKeys),
 *   payload: answer,
 * });
 * msg.respond(message);
 *
 * @throws VettidError `HANDSHAKE_MALFORMED` (version, length), `HANDSHAKE_FAILED`
 *   (does not authenticate: other enclave keys, vault, device or attestation, or a
 *   changed byte), `VALIDATION_FAILED` (bad enclave keys or context).
 */
export function readHandshakeRequest(options: ReadHandshakeRequestOptions): HandshakeRequest {
  if (typeof options !== "object" || options === null) throw invalidInput("handshake options are missing");
  rejectUnknownFields(options, ["enclaveKeys", "context", "message"], "handshake option");
  const { enclaveKeys, context, message } = options;
  checkEnclaveKeys(enclaveKeys);
  const prologue = handshakePrologue(context);
  const m = parseMessage1(message);

  const state = initialState(prologue, { x25519: enclaveKeys.x25519.publicKey, mlkem: enclaveKeys.mlkem.publicKey });
  let es: Uint8Array | undefined;
  let kemSecret: Uint8Array | undefined;
  let ss: Uint8Array | undefined;
  try {
    // -> e
    state.mixHash(m.ephemeral);
    // es (the responder's side: its static with the initiator's ephemeral)
    es = dh(enclaveKeys.x25519.privateKey, m.ephemeral);
    state.mixKey(es);
    // kem: ML-KEM decapsulation never fails on a well-sized ciphertext (implicit
    // rejection); a changed ciphertext yields another secret, and the next tag fails.
    state.mixHash(m.kemCiphertext);
    kemSecret = ml_kem768.decapsulate(m.kemCiphertext, enclaveKeys.mlkem.secretKey);
    state.mixKey(kemSecret);
    // s
    const deviceKey = state.decryptAndHash(m.encryptedStatic);
    // ss
    ss = dh(enclaveKeys.x25519.privateKey, deviceKey);
    state.mixKey(ss);
    const payload = state.decryptAndHash(m.encryptedPayload);
    return new HandshakeRequest(deviceKey, payload, state, m.ephemeral, ids(context));
  } catch (err) {
    state.wipe();
    throw asHandshakeError(err);
  } finally {
    wipe(es, kemSecret, ss);
  }
}

/**
 * An authentic message 1, not yet answered. Single use: {@link accept} or
 * {@link discard} wipes it.
 */
export class HandshakeRequest {
  private state: SymmetricState | undefined;

  /** @internal Made by {@link readHandshakeRequest}. */
  constructor(
    private readonly deviceStatic: Uint8Array,
    private readonly request: Uint8Array,
    state: SymmetricState,
    private readonly deviceEphemeral: Uint8Array,
    private readonly context: SessionIds,
  ) {
    this.state = state;
  }

  /**
   * The device's static X25519 public key (a copy). Message 1 proves the sender used
   * this key's private half, or holds the enclave's static key. Check it against the
   * vault's authorized device keys before answering.
   */
  get deviceKey(): Uint8Array {
    return copy(this.deviceStatic);
  }

  /**
   * The device's request (a copy). Authentic but possibly replayed: anyone can resend
   * an old message 1, so never act on it in a way that needs freshness. The answer is
   * safe: only the device holding the key can read it and use the session.
   */
  get payload(): Uint8Array {
    return copy(this.request);
  }

  /**
   * Enclave side, step 2: if `authorize(deviceKey)` returns `true`, makes message 2
   * and the session; otherwise refuses, wipes the state, and no message exists.
   *
   * @throws VettidError `FORBIDDEN` (not authorized), `HANDSHAKE_FAILED` (already
   *   answered or discarded), `PAYLOAD_TOO_LARGE`, `VALIDATION_FAILED` (options).
   */
  accept(options: AcceptHandshakeOptions): { message: Uint8Array; session: HandshakeSession } {
    if (typeof options !== "object" || options === null) throw invalidInput("accept options are missing");
    rejectUnknownFields(options, ["authorize", "payload", "randomness"], "accept option");
    const { authorize, payload } = options;
    if (typeof authorize !== "function") throw invalidInput("authorize must be a function");
    const { state, fixedEphemeral } = this.take(options);

    let allowed = false;
    try {
      allowed = authorize(copy(this.deviceStatic)) === true;
    } finally {
      if (!allowed) state.wipe();
    }
    if (!allowed) throw new VettidError("FORBIDDEN", "the device key is not authorized for this vault");
    return this.answer(state, payload, fixedEphemeral);
  }

  /**
   * Enclave side, step 2 for a request it will not serve: makes message 2 carrying
   * `payload` (say, why it refuses), so that the device can tell the refusal is the
   * enclave's own, and keeps no session. Message 2 is made exactly as {@link accept}
   * makes it; what it means is the payload's to say.
   *
   * @throws VettidError `HANDSHAKE_FAILED` (already answered or discarded),
   *   `PAYLOAD_TOO_LARGE`, `VALIDATION_FAILED` (options).
   */
  refuse(options: Omit<AcceptHandshakeOptions, "authorize">): { message: Uint8Array } {
    if (typeof options !== "object" || options === null) throw invalidInput("refuse options are missing");
    rejectUnknownFields(options, ["payload", "randomness"], "refuse option");
    const { state, fixedEphemeral } = this.take(options);
    const { message, session } = this.answer(state, options.payload, fixedEphemeral);
    session.keys.tx.fill(0);
    session.keys.rx.fill(0);
    return { message };
  }

  /** Checks the payload and randomness of an answer, and takes the state (single use). */
  private take(options: Pick<AcceptHandshakeOptions, "payload" | "randomness">): {
    state: SymmetricState;
    fixedEphemeral: Uint8Array | undefined;
  } {
    const { payload, randomness = {} } = options;
    checkPayload(payload);
    rejectUnknownFields(randomness, ["ephemeralPrivateKey"], "randomness");
    const fixedEphemeral = optionalBytes(randomness.ephemeralPrivateKey, DH_BYTES, "randomness.ephemeralPrivateKey");
    const state = this.state;
    if (state === undefined) throw failed("the handshake request was already answered or discarded");
    this.state = undefined;
    return { state, fixedEphemeral };
  }

  /** Message 2 with `payload`, and the session it makes; wipes `state`. */
  private answer(
    state: SymmetricState,
    payload: Uint8Array,
    fixedEphemeral: Uint8Array | undefined,
  ): { message: Uint8Array; session: HandshakeSession } {
    const ephemeral = ephemeralKeyPair(fixedEphemeral);
    let ee: Uint8Array | undefined;
    let se: Uint8Array | undefined;
    try {
      // <- e
      state.mixHash(ephemeral.publicKey);
      // ee
      ee = dh(ephemeral.privateKey, this.deviceEphemeral);
      state.mixKey(ee);
      // se (the responder's side: its ephemeral with the initiator's static)
      se = dh(ephemeral.privateKey, this.deviceStatic);
      state.mixKey(se);
      const encryptedPayload = state.encryptAndHash(payload);
      const [initiatorToResponder, responderToInitiator] = state.split();
      return {
        message: encodeMessage2({ ephemeral: ephemeral.publicKey, encryptedPayload }),
        session: makeSession(this.context, responderToInitiator, initiatorToResponder, state.handshakeHash()),
      };
    } catch (err) {
      throw asHandshakeError(err);
    } finally {
      state.wipe();
      wipe(ephemeral.privateKey, fixedEphemeral, ee, se);
    }
  }

  /** Refuses the request without answering and wipes its state. */
  discard(): void {
    this.state?.wipe();
    this.state = undefined;
  }
}

/**
 * An `authorize` predicate for {@link HandshakeRequest.accept}: true when the key is
 * one of `keys` (compared in constant time).
 *
 * @example
 * request.accept({ authorize: deviceKeyIn(state.devices.map((d) => d.exchangeKey)), payload });
 */
export function deviceKeyIn(keys: Iterable<Uint8Array>): (deviceKey: Uint8Array) => boolean {
  const list = [...keys].map((k) => copy(k));
  return (deviceKey) => {
    const s = sodium();
    let found = false;
    for (const k of list) if (k.length === deviceKey.length && s.memcmp(k, deviceKey)) found = true;
    return found;
  };
}

/** `InitializeSymmetric(protocol_name)`, `MixHash(prologue)`, then the pre-message `<- s, skem`. */
function initialState(prologue: Uint8Array, enclave: EnclaveHandshakePublicKeys): SymmetricState {
  const state = SymmetricState.initialize(PROTOCOL_NAME);
  state.mixHash(prologue);
  state.mixHash(enclave.x25519);
  state.mixHash(enclave.mlkem);
  return state;
}

/** The ids a session is named with, copied when the handshake starts. */
interface SessionIds {
  vaultId: string;
  deviceId: string;
}

function ids(context: HandshakeContext): SessionIds {
  return { vaultId: context.vaultId, deviceId: context.deviceId };
}

function makeSession(context: SessionIds, tx: Uint8Array, rx: Uint8Array, handshakeHash: Uint8Array): HandshakeSession {
  const s = sodium();
  const sessionId = s.to_base64(copy(handshakeHash, 0, SESSION_ID_HASH_BYTES), s.base64_variants.URLSAFE_NO_PADDING);
  return {
    keys: { tx, rx },
    sessionId,
    context: { vaultId: context.vaultId, deviceId: context.deviceId, sessionId },
    handshakeHash,
  };
}

/** X25519; libsodium refuses a low-order public key (an all-zero result). */
function dh(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  try {
    return sodium().crypto_scalarmult(privateKey, publicKey);
  } catch (err) {
    throw failed("an X25519 public key of the handshake is invalid", err);
  }
}

function ephemeralKeyPair(fixed: Uint8Array | undefined): X25519KeyPair {
  const s = sodium();
  const privateKey = optionalBytes(fixed, DH_BYTES, "randomness.ephemeralPrivateKey") ?? randomBytes(DH_BYTES);
  return { privateKey, publicKey: s.crypto_scalarmult_base(privateKey) };
}

/** A copy of `value` when given (so wiping it never touches the caller's bytes), checked for size. */
function optionalBytes(value: Uint8Array | undefined, size: number, name: string): Uint8Array | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof Uint8Array) || value.length !== size) throw invalidInput(`${name} must have ${size} bytes`);
  return copy(value);
}

function checkPayload(payload: unknown): asserts payload is Uint8Array {
  if (!(payload instanceof Uint8Array)) throw invalidInput("the payload must be bytes");
  if (payload.length > MAX_PAYLOAD_BYTES) {
    throw new VettidError("PAYLOAD_TOO_LARGE", `a handshake payload has at most ${MAX_PAYLOAD_BYTES} bytes`);
  }
}

function checkKeyPair(pair: X25519KeyPair | undefined, name: string): void {
  if (
    !(pair?.publicKey instanceof Uint8Array) ||
    pair.publicKey.length !== DH_BYTES ||
    !(pair.privateKey instanceof Uint8Array) ||
    pair.privateKey.length !== DH_BYTES
  ) {
    throw invalidInput(`${name} must be an X25519 key pair of 32-byte keys`);
  }
}

function checkPublicKeys(keys: EnclaveHandshakePublicKeys | undefined): void {
  if (!(keys?.x25519 instanceof Uint8Array) || keys.x25519.length !== DH_BYTES) {
    throw invalidInput("enclaveKeys.x25519 must have 32 bytes");
  }
  if (!(keys.mlkem instanceof Uint8Array) || keys.mlkem.length !== MLKEM_PUBLIC_KEY_BYTES) {
    throw invalidInput("enclaveKeys.mlkem must have 1184 bytes");
  }
}

function checkEnclaveKeys(keys: EnclaveHandshakeKeys | undefined): void {
  checkKeyPair(keys?.x25519, "enclaveKeys.x25519");
  const mlkem = keys?.mlkem;
  if (!(mlkem?.publicKey instanceof Uint8Array) || mlkem.publicKey.length !== MLKEM_PUBLIC_KEY_BYTES) {
    throw invalidInput("enclaveKeys.mlkem.publicKey must have 1184 bytes");
  }
  if (!(mlkem.secretKey instanceof Uint8Array) || mlkem.secretKey.length !== MLKEM_SECRET_KEY_BYTES) {
    throw invalidInput("enclaveKeys.mlkem.secretKey must have 2400 bytes");
  }
}
