import { VettidError } from "../errors";
import { DEFAULT_WINDOW_SIZE } from "./constants";
import { envelopeDigest, openEnvelope, sealEnvelope } from "./envelope";
import { parseEnvelopeHeader } from "./header";
import { ReplayWindow } from "./replay-window";
import type { SessionRole } from "./session-keys";
import type { EnvelopeContext, OpenedAnswer, OpenedRequest, PendingRequest, SealedRequest, SessionKeys } from "./types";

/** Options of a {@link SealedChannel}. */
export interface SealedChannelOptions {
  role: SessionRole;
  keys: SessionKeys;
  context: EnvelopeContext;
  /** Reordering tolerance of incoming counters; 0 demands strictly increasing counters. */
  windowSize?: number;
}

/**
 * One side of an established session. The device seals requests and opens the
 * answer to each one; the enclave opens requests and seals exactly one answer to
 * each. Every check fails closed: a refused envelope changes no state, so the
 * genuine envelope still opens afterwards.
 *
 * @example
 * // device
 * const { envelope, pending } = device.seal("items.get", body);
 * const reply = await nc.request(subject, envelope);
 * const answer = device.openAnswer(reply.data, pending);
 * // enclave
 * const request = enclave.open(msg.data);
 * msg.respond(enclave.sealAnswer(request, request.op, value));
 */
export class SealedChannel {
  private nextCounter = 0;
  private readonly window: ReplayWindow;
  /** Device side: requests sealed and not yet answered or cancelled, by counter. */
  private readonly outstanding = new Map<number, PendingRequest>();
  /** Device side: requests whose answer was opened (held weakly: the caller owns the handle). */
  private readonly answered = new WeakSet<PendingRequest>();
  /** Enclave side: requests this channel opened and has not answered yet. */
  private readonly unanswered = new WeakSet<OpenedRequest>();

  /** A frozen copy of the context: envelope.ts computes its associated-data prefix once per session. */
  private readonly context: EnvelopeContext;

  constructor(private readonly options: SealedChannelOptions) {
    if (options.role !== "device" && options.role !== "enclave") throw new TypeError("role must be device or enclave");
    this.context = Object.freeze({ ...options.context });
    this.window = new ReplayWindow(options.windowSize ?? DEFAULT_WINDOW_SIZE);
  }

  /** Number of requests sealed on the device side and neither answered nor cancelled. */
  get pendingCount(): number {
    return this.outstanding.size;
  }

  /**
   * Device side: seals the next request and records it as pending.
   * @returns the envelope to send and the handle to open its answer with.
   */
  seal(op: string, plaintext: Uint8Array): SealedRequest {
    this.requireRole("device", "seal");
    const counter = this.takeCounter();
    const envelope = sealEnvelope({
      key: this.options.keys.tx,
      context: this.context,
      direction: "device-to-enclave",
      counter,
      op,
      plaintext,
    });
    const pending: PendingRequest = Object.freeze({ counter, op, digest: envelopeDigest(envelope) });
    this.outstanding.set(counter, pending);
    return { envelope, pending };
  }

  /**
   * Device side: opens the answer to `pending`. The answer must name that request's
   * counter in its header and carry that request's digest in its associated data;
   * each request is answered at most once.
   *
   * @throws VettidError `ENVELOPE_UNSOLICITED` (no such pending request),
   *   `ENVELOPE_REPLAYED` (the request was already answered, or the answer counter was
   *   seen), `ENVELOPE_WRONG_REQUEST` (the answer to another pending request),
   *   `ENVELOPE_WRONG_DIRECTION`, `ENVELOPE_MALFORMED`, `ENVELOPE_AUTH_FAILED`.
   */
  openAnswer(envelope: Uint8Array, pending: PendingRequest): OpenedAnswer {
    this.requireRole("device", "openAnswer");
    const header = parseEnvelopeHeader(envelope);
    if (header.direction !== "enclave-to-device") {
      throw new VettidError("ENVELOPE_WRONG_DIRECTION", "expected enclave-to-device");
    }
    if (pending === undefined || pending === null || this.outstanding.get(pending.counter) !== pending) {
      if (this.answered.has(pending)) throw new VettidError("ENVELOPE_REPLAYED", "the request was already answered");
      throw new VettidError("ENVELOPE_UNSOLICITED", "no such pending request");
    }
    const named = header.requestCounter as number;
    if (named !== pending.counter) {
      if (this.outstanding.has(named)) {
        throw new VettidError("ENVELOPE_WRONG_REQUEST", "the envelope answers another request");
      }
      throw new VettidError("ENVELOPE_UNSOLICITED", "the envelope answers no pending request");
    }
    this.window.check(header.counter);
    const opened = openEnvelope({
      key: this.options.keys.rx,
      context: this.context,
      direction: "enclave-to-device",
      envelope,
      request: pending,
    });
    this.window.accept(opened.counter);
    this.outstanding.delete(pending.counter);
    this.answered.add(pending);
    return { counter: opened.counter, requestCounter: pending.counter, op: opened.op, plaintext: opened.plaintext };
  }

  /**
   * Device side: forgets a pending request (for example after its timeout), so a late
   * answer to it is refused as `ENVELOPE_UNSOLICITED`.
   */
  cancel(pending: PendingRequest): void {
    this.requireRole("device", "cancel");
    if (this.outstanding.get(pending.counter) === pending) this.outstanding.delete(pending.counter);
  }

  /**
   * Enclave side: opens an incoming request (direction, replay window, authentication,
   * padding), failing closed.
   *
   * @throws VettidError `ENVELOPE_WRONG_DIRECTION`, `ENVELOPE_REPLAYED`, `ENVELOPE_MALFORMED`
   *   or `ENVELOPE_AUTH_FAILED`.
   */
  open(envelope: Uint8Array): OpenedRequest {
    this.requireRole("enclave", "open");
    const header = parseEnvelopeHeader(envelope);
    if (header.direction !== "device-to-enclave") {
      throw new VettidError("ENVELOPE_WRONG_DIRECTION", "expected device-to-enclave");
    }
    this.window.check(header.counter);
    const opened = openEnvelope({
      key: this.options.keys.rx,
      context: this.context,
      direction: "device-to-enclave",
      envelope,
    });
    this.window.accept(opened.counter);
    const request: OpenedRequest = Object.freeze({
      counter: opened.counter,
      op: opened.op,
      plaintext: opened.plaintext,
      digest: envelopeDigest(envelope),
    });
    this.unanswered.add(request);
    return request;
  }

  /**
   * Enclave side: seals the one answer to `request` (as returned by {@link open} of
   * this channel), bound to it by its counter and digest.
   *
   * @throws VettidError `ENVELOPE_UNSOLICITED` when `request` was not opened by this
   *   channel or was already answered.
   */
  sealAnswer(request: OpenedRequest, op: string, plaintext: Uint8Array): Uint8Array {
    this.requireRole("enclave", "sealAnswer");
    if (!this.unanswered.has(request)) {
      throw new VettidError("ENVELOPE_UNSOLICITED", "the request was not opened here or is already answered");
    }
    const counter = this.takeCounter();
    const envelope = sealEnvelope({
      key: this.options.keys.tx,
      context: this.context,
      direction: "enclave-to-device",
      counter,
      op,
      plaintext,
      request,
    });
    this.unanswered.delete(request);
    return envelope;
  }

  private takeCounter(): number {
    if (this.nextCounter > Number.MAX_SAFE_INTEGER) throw new VettidError("CONFLICT", "session counter exhausted");
    const counter = this.nextCounter;
    this.nextCounter += 1;
    return counter;
  }

  private requireRole(role: SessionRole, method: string): void {
    if (this.options.role !== role) throw new TypeError(`${method}() belongs to the ${role} side of a session`);
  }
}
