import { VettidError } from "../../../lib/errors";
import type { FrameLink } from "../../../lib/frame-link";
import type { Frame, FrameValue } from "../../../lib/frames";
import { deviceInboxPrefix, vaultRequestSubject, vaultRequestWildcard } from "../../../lib/subjects";
import { NatsBridge } from "../../../vsock-proxy/channels/nats";
import { staticServedVaults } from "../../../vsock-proxy/policy";
import { MAX_GRANTS_PER_DEVICE, ReplyGrants } from "../../../vsock-proxy/reply-grants";
import { memoryNats } from "./fakes";

const VICTIM_VAULT = "vlt_victim";
const OTHER_VAULT = "vlt_other";
const VICTIM = "dev_victim";
const FLOODER = "dev_flooder";

/** A link stand-in that records one-way sends and accepts them while `accepting`. */
function fakeLink() {
  const sent: { type: string; body: FrameValue }[] = [];
  const link = {
    accepting: true,
    sent,
    send(_channel: string, type: string, body: FrameValue) {
      if (!link.accepting) return false;
      sent.push({ type, body });
      return true;
    },
  };
  return link;
}

function frame(type: string, body: FrameValue, id = 1): Frame {
  return { version: 1, channel: "nats", id, type, body } as Frame;
}

/** A bridge serving two vaults, subscribed to both vaults' requests. */
function setup(grants?: ReplyGrants) {
  const nats = memoryNats();
  const link = fakeLink();
  let dropped = 0;
  const bridge = new NatsBridge(link as unknown as FrameLink, {
    nats,
    served: staticServedVaults([VICTIM_VAULT, OTHER_VAULT]),
    onDropped: () => {
      dropped += 1;
    },
    ...(grants ? { grants } : {}),
  });
  bridge.handle(frame("subscribe", { sid: 1, subject: vaultRequestWildcard(VICTIM_VAULT) }));
  bridge.handle(frame("subscribe", { sid: 2, subject: vaultRequestWildcard(OTHER_VAULT) }));
  const request = (vault: string, device: string, tag: string) => {
    const reply = `${deviceInboxPrefix(device)}.${tag}`;
    nats.inject(vaultRequestSubject(vault, device), new Uint8Array([1]), reply);
    return reply;
  };
  const answer = (reply: string) => bridge.handle(frame("publish", { subject: reply, data: new Uint8Array([2]) }));
  const published = () => nats.published.map((p) => p.subject);
  return { bridge, link, request, answer, published, dropped: () => dropped };
}

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof VettidError ? error.code : String(error);
  }
}

describe("reply grants per device", () => {
  it("answers a device while another device sends 10,000 requests with fresh inboxes", () => {
    // Prepare
    const { request, answer, published, link } = setup();
    const victimReply = request(VICTIM_VAULT, VICTIM, "r1");

    // Act
    const flood: string[] = [];
    for (let i = 0; i < 10_000; i++) flood.push(request(OTHER_VAULT, FLOODER, `x${i}`));

    // Assess
    expect(link.sent).toHaveLength(10_001);
    expect(codeOf(() => answer(victimReply))).toBeUndefined();
    expect(published()).toEqual([victimReply]);
    // the flooder can still be answered for its newest requests
    expect(codeOf(() => answer(flood[flood.length - 1] as string))).toBeUndefined();
  });

  it("evicts a device's own oldest grant when it exceeds its quota, and no one else's", () => {
    // Prepare
    const { request, answer, published } = setup();
    const victimReply = request(VICTIM_VAULT, VICTIM, "r1");
    const own: string[] = [];
    for (let i = 0; i <= MAX_GRANTS_PER_DEVICE; i++) own.push(request(OTHER_VAULT, FLOODER, `x${i}`));

    // Act
    const oldest = codeOf(() => answer(own[0] as string));
    const rest = own.slice(1).map((reply) => codeOf(() => answer(reply)));
    const victim = codeOf(() => answer(victimReply));

    // Assess
    expect(own).toHaveLength(MAX_GRANTS_PER_DEVICE + 1);
    expect(oldest).toBe("FORBIDDEN");
    expect(rest.every((code) => code === undefined)).toBe(true);
    expect(victim).toBeUndefined();
    expect(published()).toEqual([...own.slice(1), victimReply]);
  });

  it("creates no grant when the delivery to the enclave failed", () => {
    // Prepare
    const { request, answer, published, link, dropped } = setup();
    link.accepting = false;

    // Act
    const reply = request(VICTIM_VAULT, VICTIM, "r1");
    link.accepting = true;

    // Assess
    expect(dropped()).toBe(1);
    expect(codeOf(() => answer(reply))).toBe("FORBIDDEN");
    expect(published()).toEqual([]);
  });

  it("refuses new grants at the total cap instead of evicting other devices' grants", () => {
    // Prepare
    const grants = new ReplyGrants({ perDevice: 2, total: 4 });
    const { request, answer, published, link, dropped } = setup(grants);
    const held = [
      request(VICTIM_VAULT, VICTIM, "a1"),
      request(VICTIM_VAULT, VICTIM, "a2"),
      request(OTHER_VAULT, FLOODER, "b1"),
      request(OTHER_VAULT, FLOODER, "b2"),
    ];

    // Act: a third device finds the connection full; its request is not delivered
    const refused = request(OTHER_VAULT, "dev_third", "c1");
    // a device at its quota still replaces its own oldest grant
    const replacing = request(OTHER_VAULT, FLOODER, "b3");

    // Assess
    expect(dropped()).toBe(1);
    expect(link.sent.map((s) => (s.body as { reply: string }).reply)).toEqual([...held, replacing]);
    expect(codeOf(() => answer(refused))).toBe("FORBIDDEN");
    expect(codeOf(() => answer(held[2] as string))).toBe("FORBIDDEN");
    for (const reply of [held[0], held[1], held[3], replacing])
      expect(codeOf(() => answer(reply as string))).toBeUndefined();
    expect(published()).toEqual([held[0], held[1], held[3], replacing]);
  });
});

describe("ReplyGrants", () => {
  it("keeps each device's grants apart and evicts only the granting device's oldest", () => {
    // Prepare
    const grants = new ReplyGrants({ perDevice: 2, total: 10 });

    // Act
    grants.grant("a", "a1");
    grants.grant("b", "b1");
    grants.grant("a", "a2");
    grants.grant("a", "a3");

    // Assess
    expect([grants.has("a1"), grants.has("a2"), grants.has("a3"), grants.has("b1")]).toEqual([false, true, true, true]);
    expect([grants.sizeOf("a"), grants.sizeOf("b"), grants.size]).toEqual([2, 1, 3]);
  });

  it("refuses at the total cap and makes room again once grants expire", () => {
    // Prepare
    let now = 0;
    const grants = new ReplyGrants({ perDevice: 2, total: 2, ttlMs: 100, now: () => now });
    grants.grant("a", "a1");
    grants.grant("b", "b1");

    // Act
    const whileFull = grants.grant("c", "c1");
    now = 101;
    const afterExpiry = grants.grant("c", "c2");

    // Assess
    expect(whileFull).toBe(false);
    expect(grants.has("c1")).toBe(false);
    expect(afterExpiry).toBe(true);
    expect([grants.has("a1"), grants.has("b1"), grants.has("c2")]).toEqual([false, false, true]);
  });

  it("rejects unknown options and limits that are not positive integers", () => {
    expect(() => new ReplyGrants({ capacity: 1 } as never)).toThrow(/unknown ReplyGrants option/);
    expect(() => new ReplyGrants({ perDevice: 0 })).toThrow(/perDevice/);
    expect(() => new ReplyGrants({ perDevice: 4, total: 2 })).toThrow(/at least perDevice/);
  });
});
