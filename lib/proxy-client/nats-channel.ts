import { VettidError } from "../errors";
import type { FrameLink } from "../frame-link";
import type { FrameValue } from "../frames";
import {
  asRecord,
  MAX_NATS_PAYLOAD_BYTES,
  MAX_NATS_REQUEST_TIMEOUT_MS,
  MAX_SUBJECT_LENGTH,
  NATS_OPS,
  readBytes,
  readInteger,
  readOptionalString,
  readString,
} from "../proxy-protocol";
import type { Requester } from "./requester";
import type { ProxyNatsMessage, ProxySubscription } from "./types";

/** Handles one delivered message; must not throw (a throw is swallowed and counted). */
export type MessageHandler = (message: ProxyNatsMessage) => void;

interface Registration {
  sid: number;
  subject: string;
  handler: MessageHandler;
}

/** Largest subscription id; the proxy caps live subscriptions far below this. */
const MAX_SID = 0xffff_ffff;

/**
 * The `nats` channel of the enclave-side client. Subscriptions are numbered by the
 * client (so a message can never arrive before its subscription is known) and are
 * re-established on every new link.
 */
export class NatsChannel {
  /** Messages whose body was malformed or whose handler threw. */
  dropped = 0;
  private readonly registrations = new Map<number, Registration>();
  private nextSid = 1;

  constructor(
    private readonly request: Requester,
    private readonly send: (type: string, body: FrameValue) => boolean,
  ) {}

  /**
   * Subscribes to `subject` (the proxy allows only the vault subjects of the vaults
   * its host serves). The subscription lasts across reconnects until unsubscribed.
   * @throws VettidError `FORBIDDEN` for a subject the proxy refuses, `CHANNEL_CLOSED` when not connected.
   */
  async subscribe(subject: string, handler: MessageHandler): Promise<ProxySubscription> {
    const sid = this.nextSid;
    this.nextSid = sid >= MAX_SID ? 1 : sid + 1;
    const registration: Registration = { sid, subject, handler };
    this.registrations.set(sid, registration);
    try {
      await this.request("nats", NATS_OPS.subscribe, { sid, subject });
    } catch (err) {
      this.registrations.delete(sid);
      throw err;
    }
    return {
      subject,
      unsubscribe: async () => {
        if (!this.registrations.delete(sid)) return;
        await this.request("nats", NATS_OPS.unsubscribe, { sid }).catch((err: unknown) => {
          if (!(err instanceof VettidError && err.code === "CHANNEL_CLOSED")) throw err;
        });
      },
    };
  }

  /** Publishes `data` on `subject` and resolves once the proxy has handed it to NATS. */
  async publish(subject: string, data: Uint8Array): Promise<void> {
    await this.request("nats", NATS_OPS.publish, { subject, data });
  }

  /**
   * Answers a delivered request (one-way, no acknowledgement: the fast path for
   * replies). Returns false when the link is down or congested.
   */
  respond(reply: string | undefined, data: Uint8Array): boolean {
    if (reply === undefined) return false;
    return this.send(NATS_OPS.publish, { subject: reply, data });
  }

  /**
   * Sends a NATS request through the proxy and resolves with the answer's data.
   * @throws VettidError `TIMEOUT`, `UNAVAILABLE` (no responders), `FORBIDDEN`.
   */
  async natsRequest(subject: string, data: Uint8Array, timeoutMs = 5_000): Promise<Uint8Array> {
    const bounded = Math.min(Math.max(1, timeoutMs), MAX_NATS_REQUEST_TIMEOUT_MS);
    const body = await this.request("nats", NATS_OPS.request, { subject, data, timeoutMs: bounded }, bounded + 1_000);
    return readBytes(asRecord(body), "data", MAX_NATS_PAYLOAD_BYTES);
  }

  /** Called by the client for each `msg` frame. Validates before anything else. */
  deliver(body: FrameValue): void {
    let message: ProxyNatsMessage;
    let registration: Registration | undefined;
    try {
      const record = asRecord(body);
      const sid = readInteger(record, "sid", 1, MAX_SID);
      registration = this.registrations.get(sid);
      message = {
        subject: readString(record, "subject", MAX_SUBJECT_LENGTH),
        reply: readOptionalString(record, "reply", MAX_SUBJECT_LENGTH),
        data: readBytes(record, "data", MAX_NATS_PAYLOAD_BYTES),
      };
    } catch {
      this.dropped += 1;
      return;
    }
    if (!registration) return; // unsubscribed meanwhile
    try {
      registration.handler(message);
    } catch {
      this.dropped += 1;
    }
  }

  /** Re-establishes every subscription on a fresh link (before it is marked ready). */
  async resubscribe(link: FrameLink): Promise<void> {
    const all = [...this.registrations.values()];
    await Promise.all(
      all.map(async (registration) => {
        try {
          await link.request("nats", NATS_OPS.subscribe, { sid: registration.sid, subject: registration.subject });
        } catch (err) {
          if (err instanceof VettidError && err.code === "FORBIDDEN") {
            this.registrations.delete(registration.sid); // the host no longer serves it
            return;
          }
          throw err;
        }
      }),
    );
  }

  /** Called when a link closes; subscriptions stay registered for the next one. */
  linkClosed(): void {}
}
