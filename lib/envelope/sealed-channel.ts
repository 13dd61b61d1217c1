import { VettidError } from "../errors";
import { DEFAULT_WINDOW_SIZE } from "./constants";
import { openEnvelope, parseEnvelopeHeader, sealEnvelope } from "./envelope";
import { ReplayWindow } from "./replay-window";
import type { SessionRole } from "./session-keys";
import type { Direction, EnvelopeContext, OpenedEnvelope, SessionKeys } from "./types";

/** Options of a {@link SealedChannel}. */
export interface SealedChannelOptions {
  role: SessionRole;
  keys: SessionKeys;
  context: EnvelopeContext;
  /** Reordering tolerance; 0 demands strictly increasing counters. */
  windowSize?: number;
}

/**
 * One side of an established session: numbers outgoing envelopes and checks
 * incoming ones (direction, replay window, authentication), failing closed.
 */
export class SealedChannel {
  private nextCounter = 0;
  private readonly window: ReplayWindow;
  private readonly sendDirection: Direction;
  private readonly receiveDirection: Direction;

  constructor(private readonly options: SealedChannelOptions) {
    this.window = new ReplayWindow(options.windowSize ?? DEFAULT_WINDOW_SIZE);
    this.sendDirection = options.role === "device" ? "device-to-enclave" : "enclave-to-device";
    this.receiveDirection = options.role === "device" ? "enclave-to-device" : "device-to-enclave";
  }

  /** Seals the next outgoing message. */
  seal(op: string, plaintext: Uint8Array): Uint8Array {
    if (this.nextCounter > Number.MAX_SAFE_INTEGER) throw new VettidError("CONFLICT", "session counter exhausted");
    const counter = this.nextCounter;
    this.nextCounter += 1;
    return sealEnvelope({
      key: this.options.keys.tx,
      context: this.options.context,
      direction: this.sendDirection,
      counter,
      op,
      plaintext,
    });
  }

  /**
   * Opens an incoming envelope.
   * @throws VettidError for a wrong direction, replayed or too-old counter, or a forgery.
   */
  open(envelope: Uint8Array): OpenedEnvelope {
    const header = parseEnvelopeHeader(envelope);
    if (header.direction !== this.receiveDirection) {
      throw new VettidError("ENVELOPE_WRONG_DIRECTION", `expected ${this.receiveDirection}`);
    }
    this.window.check(header.counter);
    const opened = openEnvelope({
      key: this.options.keys.rx,
      context: this.options.context,
      direction: this.receiveDirection,
      envelope,
    });
    this.window.accept(opened.counter);
    return opened;
  }
}
