import type { Duplex } from "node:stream";
import { fromWire, isVettidError, toVettidError, VettidError } from "../errors";
import {
  type Channel,
  encodeFrame,
  type Frame,
  FrameDecoder,
  FrameError,
  type FrameValue,
  MAX_FRAME_BYTES,
  MAX_REQUEST_ID,
} from "../frames";
import {
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_HIGH_WATER_BYTES,
  DEFAULT_MAX_IN_FLIGHT,
  DEFAULT_MAX_PENDING,
  DEFAULT_REQUEST_TIMEOUT_MS,
  MAX_CORKED_FRAMES,
  ONE_WAY_ID,
  REPLY_TYPES,
} from "./constants";
import { createLinkCounters, type LinkCounters } from "./counters";

/** Handles one request from the peer; the result is the `ok` body, a throw the `error` body. */
export type RequestHandler = (frame: Frame, link: FrameLink) => FrameValue | Promise<FrameValue>;

/** Options of a {@link FrameLink}; every limit defaults to the constant of the same name. */
export interface FrameLinkOptions {
  maxFrameBytes?: number;
  maxInFlight?: number;
  maxPending?: number;
  highWaterBytes?: number;
  /**
   * Bytes the write buffer may hold before the link is closed `OVERLOADED`: a peer that
   * keeps sending requests but does not read their replies. Default: the high-water
   * mark plus one maximum reply per in-flight request.
   */
  maxBufferedBytes?: number;
  requestTimeoutMs?: number;
  onRequest?: RequestHandler;
  /** One-way messages (id 0) from the peer. Must not throw. */
  onMessage?: (frame: Frame, link: FrameLink) => void;
  /** Called once when the link closes; `error` says why when it was not a clean end. */
  onClose?: (error: VettidError | undefined) => void;
  counters?: LinkCounters;
}

interface Pending {
  channel: Channel;
  resolve: (body: FrameValue) => void;
  reject: (err: VettidError) => void;
  timer: NodeJS.Timeout | undefined;
}

/**
 * A multiplexed request/response link over one byte stream: many requests in flight
 * in both directions, matched by id, with no lock around a round trip.
 *
 * - A request is a frame with id > 0 and an operation type; its answer is a frame on
 *   the same channel with the same id and type `ok` or `error` (a wire error).
 *   Each side numbers its own requests, so ids of the two directions never mix.
 * - A one-way message has id 0 and gets no answer.
 * - Back-pressure: requests from the peer beyond `maxInFlight` are answered
 *   `OVERLOADED`; own requests beyond `maxPending` fail `OVERLOADED`; while the
 *   write buffer is above `highWaterBytes`, own requests wait for 'drain' and
 *   one-way messages are dropped and counted. Reading never pauses, so two links
 *   can never deadlock waiting on each other; a peer whose unread replies pass
 *   `maxBufferedBytes` is disconnected `OVERLOADED`.
 * - Any malformed frame or protocol violation closes this link only (the decoder
 *   is poisoned after an error); pending requests fail `CHANNEL_CLOSED`.
 * - Writes issued in one tick are batched (cork / uncork) into one system call, in
 *   slices of at most {@link MAX_CORKED_FRAMES} frames so that the peer starts on
 *   the first frames of a burst while this side is still producing the rest.
 */
export class FrameLink {
  readonly counters: LinkCounters;
  private readonly stream: Duplex;
  private readonly decoder: FrameDecoder;
  private readonly maxFrameBytes: number;
  private readonly maxInFlight: number;
  private readonly maxPending: number;
  private readonly highWaterBytes: number;
  private readonly maxBufferedBytes: number;
  private readonly requestTimeoutMs: number;
  private readonly options: FrameLinkOptions;
  private readonly pending = new Map<number, Pending>();
  private readonly incoming = new Set<number>();
  private nextId = 1;
  private corked = false;
  private corkedFrames = 0;
  private closed = false;
  private draining = false;
  private closeError: VettidError | undefined;
  private drainWaiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  private readonly closedPromise: Promise<VettidError | undefined>;
  private resolveClosed!: (err: VettidError | undefined) => void;

  constructor(stream: Duplex, options: FrameLinkOptions = {}) {
    this.stream = stream;
    this.options = options;
    this.maxFrameBytes = options.maxFrameBytes ?? MAX_FRAME_BYTES;
    this.maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    this.maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
    this.highWaterBytes = options.highWaterBytes ?? DEFAULT_HIGH_WATER_BYTES;
    this.maxBufferedBytes = options.maxBufferedBytes ?? this.highWaterBytes + this.maxInFlight * this.maxFrameBytes;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.counters = options.counters ?? createLinkCounters();
    this.decoder = new FrameDecoder({ maxFrameBytes: this.maxFrameBytes });
    this.closedPromise = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    stream.on("data", (chunk: Buffer) => this.onData(chunk));
    stream.on("end", () => this.onEnd());
    stream.on("error", (err) => this.close(new VettidError("CHANNEL_CLOSED", "link stream failed", { cause: err })));
    stream.on("close", () => this.close());
    stream.on("drain", () => this.onDrain());
  }

  /** True until the link has closed. */
  get isOpen(): boolean {
    return !this.closed;
  }

  /** Requests of the peer being handled plus own requests awaiting replies. */
  get inFlight(): number {
    return this.incoming.size + this.pending.size;
  }

  /** Resolves when the link has closed, with the reason when it was not clean. */
  get closedReason(): Promise<VettidError | undefined> {
    return this.closedPromise;
  }

  /**
   * Sends a request and resolves with the peer's `ok` body.
   * @throws VettidError the peer's error; `OVERLOADED` when too many requests are
   *   pending; `TIMEOUT` after `timeoutMs`; `CHANNEL_CLOSED` when the link closes first.
   */
  async request(channel: Channel, type: string, body: FrameValue, timeoutMs?: number): Promise<FrameValue> {
    if (this.closed || this.draining) throw new VettidError("CHANNEL_CLOSED", "the link is closed");
    if (type === REPLY_TYPES.ok || type === REPLY_TYPES.error) {
      throw new VettidError("BAD_REQUEST", "a request type must not be a reply type");
    }
    if (this.pending.size >= this.maxPending) {
      this.counters.overloaded += 1;
      throw new VettidError("OVERLOADED", `more than ${this.maxPending} requests pending on this link`);
    }
    if (this.stream.writableLength > this.highWaterBytes) await this.waitForDrain();
    if (this.closed) throw new VettidError("CHANNEL_CLOSED", "the link is closed");
    const id = this.allocateId();
    return new Promise<FrameValue>((resolve, reject) => {
      const deadline = timeoutMs ?? this.requestTimeoutMs;
      const entry: Pending = { channel, resolve, reject, timer: undefined };
      if (deadline > 0) {
        entry.timer = setTimeout(() => {
          if (this.pending.get(id) !== entry) return;
          this.pending.delete(id);
          this.settled();
          reject(new VettidError("TIMEOUT", `${channel}.${type} got no reply within ${deadline} ms`));
        }, deadline);
      }
      this.pending.set(id, entry);
      this.counters.inFlight += 1;
      try {
        this.write({ channel, id, type, body });
      } catch (err) {
        this.pending.delete(id);
        if (entry.timer) clearTimeout(entry.timer);
        this.settled();
        reject(toVettidError(err));
      }
    });
  }

  /**
   * Sends a one-way message. Returns false when it was dropped because the peer is
   * not reading (write buffer above the high-water mark) or the link is closed.
   * @throws FrameError `FRAME_TOO_LARGE` when the message exceeds the frame limit.
   */
  send(channel: Channel, type: string, body: FrameValue): boolean {
    if (this.closed) return false;
    if (this.stream.writableLength > this.highWaterBytes) {
      this.counters.dropped += 1;
      return false;
    }
    this.write({ channel, id: ONE_WAY_ID, type, body });
    return true;
  }

  /**
   * Graceful close: refuses new requests from the peer (`CHANNEL_CLOSED`), waits up
   * to `timeoutMs` for in-flight work in both directions, flushes and closes.
   */
  async shutdown(timeoutMs = DEFAULT_DRAIN_TIMEOUT_MS): Promise<void> {
    if (this.closed) return;
    this.draining = true;
    if (this.inFlight > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        }),
      ]);
      clearTimeout(timer);
    }
    if (!this.closed) {
      this.flush();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.stream.end(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    this.close();
  }

  /** Closes the link now; pending requests fail `CHANNEL_CLOSED`. Idempotent. */
  close(error?: VettidError): void {
    if (this.closed) return;
    this.closed = true;
    this.closeError = error;
    if (error) this.counters.errors += 1;
    this.stream.destroy();
    const failure = new VettidError("CHANNEL_CLOSED", "the link closed before the reply arrived");
    for (const entry of this.pending.values()) {
      if (entry.timer) clearTimeout(entry.timer);
      entry.reject(failure);
    }
    this.counters.inFlight -= this.pending.size + this.incoming.size;
    this.pending.clear();
    this.incoming.clear();
    for (const wake of this.drainWaiters.splice(0)) wake();
    for (const wake of this.idleWaiters.splice(0)) wake();
    this.options.onClose?.(error);
    this.resolveClosed(error);
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.counters.bytesIn += chunk.length;
    let frames: Frame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.close(err instanceof VettidError ? err : new FrameError("FRAME_MALFORMED", "undecodable input", err));
      return;
    }
    for (const frame of frames) {
      if (this.closed) return;
      this.counters.framesIn += 1;
      this.dispatch(frame);
    }
  }

  private onEnd(): void {
    try {
      this.decoder.end();
      this.close();
    } catch (err) {
      this.close(err as VettidError);
    }
  }

  private dispatch(frame: Frame): void {
    if (frame.type === REPLY_TYPES.ok || frame.type === REPLY_TYPES.error) {
      this.onReply(frame);
    } else if (frame.id === ONE_WAY_ID) {
      this.options.onMessage?.(frame, this);
    } else {
      this.onRequest(frame);
    }
  }

  private onReply(frame: Frame): void {
    const entry = this.pending.get(frame.id);
    if (!entry) return; // a reply after its request timed out
    if (entry.channel !== frame.channel) {
      this.close(new FrameError("FRAME_MALFORMED", "reply on another channel than its request"));
      return;
    }
    this.pending.delete(frame.id);
    if (entry.timer) clearTimeout(entry.timer);
    this.settled();
    if (frame.type === REPLY_TYPES.ok) entry.resolve(frame.body);
    else entry.reject(fromWire(frame.body));
  }

  private onRequest(frame: Frame): void {
    const { channel, id } = frame;
    if (this.incoming.has(id)) {
      this.close(new FrameError("FRAME_MALFORMED", "request id reused while in flight"));
      return;
    }
    const handler = this.options.onRequest;
    if (this.draining || !handler) {
      this.replyError(channel, id, new VettidError("CHANNEL_CLOSED", "the link is shutting down"));
      return;
    }
    if (this.incoming.size >= this.maxInFlight) {
      this.counters.overloaded += 1;
      this.replyError(channel, id, new VettidError("OVERLOADED", `more than ${this.maxInFlight} requests in flight`));
      return;
    }
    this.incoming.add(id);
    this.counters.inFlight += 1;
    let result: FrameValue | Promise<FrameValue>;
    try {
      result = handler(frame, this);
    } catch (err) {
      this.finishIncoming(channel, id, undefined, err);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (body) => this.finishIncoming(channel, id, body, undefined),
        (err: unknown) => this.finishIncoming(channel, id, undefined, err ?? new Error("rejected")),
      );
    } else {
      this.finishIncoming(channel, id, result, undefined);
    }
  }

  private finishIncoming(channel: Channel, id: number, body: FrameValue | undefined, err: unknown): void {
    if (!this.incoming.delete(id)) return; // link closed meanwhile
    this.settled();
    if (err !== undefined) {
      this.replyError(channel, id, toVettidError(err));
      return;
    }
    try {
      this.write({ channel, id, type: REPLY_TYPES.ok, body: body ?? null });
    } catch (writeErr) {
      const tooLarge = isVettidError(writeErr, "FRAME_TOO_LARGE");
      this.replyError(
        channel,
        id,
        tooLarge ? new VettidError("PAYLOAD_TOO_LARGE", "the reply exceeds the frame limit") : toVettidError(writeErr),
      );
    }
  }

  private replyError(channel: Channel, id: number, err: VettidError): void {
    if (this.closed) return;
    if (err.code === "INTERNAL") this.counters.errors += 1;
    const wire = err.toWire();
    this.write({ channel, id, type: REPLY_TYPES.error, body: { ...wire } });
  }

  private write(frame: Omit<Frame, "version">): void {
    if (this.closed) return;
    const bytes = encodeFrame(frame, { maxFrameBytes: this.maxFrameBytes });
    this.counters.framesOut += 1;
    this.counters.bytesOut += bytes.length;
    if (!this.corked) {
      this.corked = true;
      this.stream.cork();
      process.nextTick(() => this.flush());
    }
    this.stream.write(bytes);
    this.corkedFrames += 1;
    if (this.corkedFrames >= MAX_CORKED_FRAMES) {
      this.corkedFrames = 0;
      this.stream.uncork(); // the tick's flush uncorks the rest
      this.stream.cork();
    }
    // Replies free their in-flight slot when written, not when read: without this cap a
    // peer that sends requests and never reads would grow this buffer without bound.
    if (this.stream.writableLength > this.maxBufferedBytes) {
      this.close(new VettidError("OVERLOADED", "the peer does not read its replies"));
    }
  }

  private flush(): void {
    if (!this.corked) return;
    this.corked = false;
    this.corkedFrames = 0;
    this.stream.uncork();
  }

  private allocateId(): number {
    for (;;) {
      const id = this.nextId;
      this.nextId = id >= MAX_REQUEST_ID ? 1 : id + 1;
      if (!this.pending.has(id)) return id;
    }
  }

  private settled(): void {
    this.counters.inFlight -= 1;
    if (this.inFlight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  private waitForDrain(): Promise<void> {
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private onDrain(): void {
    for (const wake of this.drainWaiters.splice(0)) wake();
  }

  /** The reason the link closed, if it has and it was not clean. */
  get error(): VettidError | undefined {
    return this.closeError;
  }
}
