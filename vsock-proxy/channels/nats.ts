import { VettidError } from "../../lib/errors";
import type { FrameLink } from "../../lib/frame-link";
import type { Frame, FrameValue } from "../../lib/frames";
import {
  asRecord,
  MAX_NATS_PAYLOAD_BYTES,
  MAX_NATS_REQUEST_TIMEOUT_MS,
  MAX_SUBJECT_LENGTH,
  NATS_OPS,
  readBytes,
  readInteger,
  readString,
} from "../../lib/proxy-protocol";
import { parseSubject } from "../../lib/subjects";
import { mayPublishEvent, maySubscribe, replyGrantDeviceOf, type ServedVaults } from "../policy";
import { ReplyGrants } from "../reply-grants";
import type { NatsUpstream } from "../upstreams/types";

/**
 * Live subscriptions per enclave connection. Derivation: a host serves at most a
 * few hundred vaults (one enclave's memory holds ~512 unlocked vaults), and the
 * enclave subscribes once per vault (the `req.*` wildcard): 1,024 leaves headroom.
 */
export const MAX_SUBSCRIPTIONS = 1_024;

/** Largest subscription id the enclave may choose (ids are u32 on the wire). */
const MAX_SID = 0xffff_ffff;

/** Dependencies of a {@link NatsBridge}. */
export interface NatsBridgeDeps {
  nats: NatsUpstream;
  served: ServedVaults;
  /**
   * Called for each delivery dropped: the enclave is not reading fast enough, or the
   * connection holds as many reply grants as it may (`MAX_GRANTS`).
   */
  onDropped?: () => void;
  /** The connection's reply grants; a fresh {@link ReplyGrants} with the default limits if omitted. */
  grants?: ReplyGrants;
  /** Called when the enclave tried a subject it may not use. */
  onRefused?: (op: string, subject: string) => void;
  /** Called with the vault of each request delivered to the enclave. */
  onRequest?: (vaultId: string) => void;
}

/**
 * The `nats` channel of one enclave connection: subscribe / unsubscribe / publish /
 * request on the vault subjects of the vaults this host serves, and delivery of
 * incoming messages as one-way `msg` frames. Replies go only to reply subjects the
 * proxy delivered (once each), like NATS `allow_responses`.
 */
export class NatsBridge {
  private readonly subscriptions = new Map<number, { unsubscribe(): void }>();
  private readonly grants: ReplyGrants;

  constructor(
    private readonly link: FrameLink,
    private readonly deps: NatsBridgeDeps,
  ) {
    this.grants = deps.grants ?? new ReplyGrants();
  }

  /** Handles one request frame of the channel. */
  handle(frame: Frame): FrameValue | Promise<FrameValue> {
    const body = asRecord(frame.body);
    switch (frame.type) {
      case NATS_OPS.subscribe:
        return this.subscribe(body);
      case NATS_OPS.unsubscribe: {
        const sid = readInteger(body, "sid", 1, MAX_SID);
        this.subscriptions.get(sid)?.unsubscribe();
        this.subscriptions.delete(sid);
        return null;
      }
      case NATS_OPS.publish:
        this.publish(body);
        return null;
      case NATS_OPS.request:
        return this.request(body);
      default:
        throw new VettidError("BAD_REQUEST", "unknown nats operation");
    }
  }

  /** Handles a one-way frame of the channel (`publish` without acknowledgement). */
  handleOneWay(frame: Frame): void {
    if (frame.type !== NATS_OPS.publish) throw new VettidError("BAD_REQUEST", "unknown one-way nats operation");
    this.publish(asRecord(frame.body));
  }

  /** Ends every upstream subscription of this connection. */
  dispose(): void {
    for (const sub of this.subscriptions.values()) sub.unsubscribe();
    this.subscriptions.clear();
  }

  get subscriptionCount(): number {
    return this.subscriptions.size;
  }

  private subscribe(body: Record<string, FrameValue>): FrameValue {
    const sid = readInteger(body, "sid", 1, MAX_SID);
    const subject = readString(body, "subject", MAX_SUBJECT_LENGTH);
    if (!maySubscribe(subject, this.deps.served)) this.refuse("subscribe", subject);
    if (this.subscriptions.has(sid)) throw new VettidError("CONFLICT", "subscription id already in use");
    if (this.subscriptions.size >= MAX_SUBSCRIPTIONS) {
      throw new VettidError("OVERLOADED", `more than ${MAX_SUBSCRIPTIONS} subscriptions`);
    }
    const sub = this.deps.nats.subscribe(subject, (msgSubject, reply, data) =>
      this.deliver(sid, msgSubject, reply, data),
    );
    this.subscriptions.set(sid, sub);
    return null;
  }

  /**
   * Delivers one incoming request to the enclave. Its reply subject is granted only
   * once the frame was handed to the link, so a dropped delivery leaves nothing the
   * enclave could publish to; a request whose reply could not be granted is dropped
   * before delivery, since the enclave could not answer it. Check, send and grant run
   * in one synchronous step, so no other delivery comes between them.
   */
  private deliver(sid: number, subject: string, reply: string | undefined, data: Uint8Array): void {
    const request = parseSubject(subject);
    const deviceId = reply === undefined ? undefined : replyGrantDeviceOf(request, reply);
    if (deviceId !== undefined && !this.grants.hasRoom(deviceId)) {
      this.deps.onDropped?.();
      return;
    }
    const sent = this.link.send("nats", NATS_OPS.message, { sid, subject, reply: reply ?? null, data });
    if (!sent) {
      this.deps.onDropped?.();
      return;
    }
    if (deviceId !== undefined) this.grants.grant(deviceId, reply as string);
    if (request?.kind === "request") this.deps.onRequest?.(request.vaultId);
  }

  private publish(body: Record<string, FrameValue>): void {
    const subject = readString(body, "subject", MAX_SUBJECT_LENGTH);
    const data = readBytes(body, "data", MAX_NATS_PAYLOAD_BYTES);
    this.checkPublish(subject);
    this.deps.nats.publish(subject, data);
  }

  private async request(body: Record<string, FrameValue>): Promise<FrameValue> {
    const subject = readString(body, "subject", MAX_SUBJECT_LENGTH);
    const data = readBytes(body, "data", MAX_NATS_PAYLOAD_BYTES);
    const timeoutMs = readInteger(body, "timeoutMs", 1, MAX_NATS_REQUEST_TIMEOUT_MS);
    if (!mayPublishEvent(subject, this.deps.served)) this.refuse("request", subject);
    return { data: await this.deps.nats.request(subject, data, timeoutMs) };
  }

  private checkPublish(subject: string): void {
    // Replies are the hot path: one grant lookup. A grant exists only for a reply
    // subject that mayGrantReply accepted when the request was delivered (an inbox of
    // the requesting device), so the subject needs no second parse here.
    if (this.grants.take(subject)) return;
    if (mayPublishEvent(subject, this.deps.served)) return;
    this.refuse("publish", subject);
  }

  private refuse(op: string, subject: string): never {
    this.deps.onRefused?.(op, subject);
    throw new VettidError("FORBIDDEN", `${op} on this subject is not allowed`);
  }
}
