import type { Duplex } from "node:stream";
import { VettidError } from "../../../lib/errors";
import { FrameLink, type FrameLinkOptions, MAX_CORKED_FRAMES, unixSocketTransport } from "../../../lib/frame-link";
import { encodeFrame, type FrameValue } from "../../../lib/frames";
import { socketPath } from "./fakes";

/** Opens a connected pair of links over a Unix socket. */
async function linkPair(server: FrameLinkOptions = {}, client: FrameLinkOptions = {}) {
  const transport = unixSocketTransport(socketPath());
  let accepted: (stream: Duplex) => void = () => {};
  const acceptedStream = new Promise<Duplex>((resolve) => {
    accepted = resolve;
  });
  const listener = await transport.listen((stream) => accepted(stream));
  const clientStream = await transport.connect();
  const serverLink = new FrameLink(await acceptedStream, server);
  const clientLink = new FrameLink(clientStream, client);
  return {
    serverLink,
    clientLink,
    clientStream,
    async close() {
      serverLink.close();
      clientLink.close();
      await listener.close();
    },
  };
}

describe("FrameLink", () => {
  it("matches many concurrent requests to their replies, whatever the reply order", async () => {
    // Prepare: the server answers each request after a delay that reverses the order
    const pair = await linkPair({
      onRequest: async (frame) => {
        const n = (frame.body as { n: number }).n;
        await new Promise((r) => setTimeout(r, 50 - n));
        return { doubled: n * 2 };
      },
    });
    // Act
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, n) => pair.clientLink.request("blob", "get", { n })),
    );
    // Assess
    expect(replies).toEqual(Array.from({ length: 40 }, (_, n) => ({ doubled: n * 2 })));
    expect(pair.clientLink.inFlight).toBe(0);
    await pair.close();
  });

  it("returns the handler's VettidError as a typed error and keeps serving", async () => {
    const pair = await linkPair({
      onRequest: (frame) => {
        if (frame.type === "bad") throw new VettidError("FORBIDDEN", "no");
        if (frame.type === "boom") throw new Error("secret internals");
        return "fine";
      },
    });
    await expect(pair.clientLink.request("nats", "bad", null)).rejects.toMatchObject({ code: "FORBIDDEN" });
    const internal = await pair.clientLink.request("nats", "boom", null).catch((e: VettidError) => e);
    expect(internal).toMatchObject({ code: "INTERNAL" });
    expect((internal as VettidError).message).not.toContain("secret");
    await expect(pair.clientLink.request("nats", "good", null)).resolves.toBe("fine");
    await pair.close();
  });

  it("answers OVERLOADED beyond the in-flight cap instead of queueing without bound", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const pair = await linkPair({ maxInFlight: 4, onRequest: () => gate.then(() => "done") });
    const calls = Array.from({ length: 10 }, () =>
      pair.clientLink.request("tunnel", "open", null).then(
        (v) => v,
        (e: VettidError) => e.code,
      ),
    );
    await new Promise((r) => setTimeout(r, 50));
    release();
    const outcomes = await Promise.all(calls);
    expect(outcomes.filter((o) => o === "done")).toHaveLength(4);
    expect(outcomes.filter((o) => o === "OVERLOADED")).toHaveLength(6);
    expect(pair.serverLink.counters.overloaded).toBe(6);
    await pair.close();
  });

  it("disconnects a peer that sends requests but never reads the replies, instead of buffering without bound", async () => {
    // Prepare: a raw peer that writes 200 requests for 16 KiB replies and never reads
    const transport = unixSocketTransport(socketPath());
    let accepted: (stream: Duplex) => void = () => {};
    const acceptedStream = new Promise<Duplex>((resolve) => {
      accepted = resolve;
    });
    const listener = await transport.listen((stream) => accepted(stream));
    const peer = await transport.connect();
    peer.pause();
    const server = new FrameLink(await acceptedStream, {
      highWaterBytes: 64 * 1024,
      maxBufferedBytes: 256 * 1024,
      onRequest: () => new Uint8Array(16 * 1024),
    });
    const requests = 200;

    // Act
    for (let id = 1; id <= requests; id += 1) peer.write(encodeFrame({ channel: "blob", id, type: "get", body: null }));
    for (let i = 0; i < 10_000 && server.isOpen && server.counters.framesIn < requests; i += 1) {
      await new Promise((resolve) => setImmediate(resolve));
    }

    const open = server.isOpen;
    const error = server.error;
    server.close();
    peer.destroy();
    await listener.close();

    // Assess: 200 × 16 KiB = 3.2 MiB of replies, far above what the kernel and the cap hold
    expect(open).toBe(false);
    expect(error).toMatchObject({ code: "OVERLOADED" });
  });

  it("fails a request locally with OVERLOADED beyond the pending cap", async () => {
    const pair = await linkPair({ onRequest: () => new Promise<FrameValue>(() => {}) }, { maxPending: 2 });
    void pair.clientLink.request("blob", "get", null).catch(() => {});
    void pair.clientLink.request("blob", "get", null).catch(() => {});
    await expect(pair.clientLink.request("blob", "get", null)).rejects.toMatchObject({ code: "OVERLOADED" });
    await pair.close();
  });

  it("fails a request with TIMEOUT when no reply comes, and ignores the late reply", async () => {
    const pair = await linkPair({ onRequest: () => new Promise((r) => setTimeout(() => r("late"), 100)) });
    await expect(pair.clientLink.request("blob", "get", null, 20)).rejects.toMatchObject({
      code: "TIMEOUT",
      retryable: true,
    });
    await new Promise((r) => setTimeout(r, 150));
    expect(pair.clientLink.isOpen).toBe(true);
    await pair.close();
  });

  it("fails in-flight requests with the retryable CHANNEL_CLOSED when the peer goes away", async () => {
    const pair = await linkPair({ onRequest: () => new Promise<FrameValue>(() => {}) });
    const pending = pair.clientLink.request("blob", "put", null);
    await new Promise((r) => setTimeout(r, 20));
    pair.serverLink.close();
    await expect(pending).rejects.toMatchObject({ code: "CHANNEL_CLOSED", retryable: true });
    await pair.close();
  });

  it("closes the link on a malformed frame and reports why", async () => {
    const pair = await linkPair({ onRequest: () => "x" });
    pair.clientStream.write(Buffer.from([0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8]));
    const reason = await pair.serverLink.closedReason;
    expect(reason).toMatchObject({ code: "FRAME_MALFORMED" });
    expect(pair.serverLink.isOpen).toBe(false);
    await pair.close();
  });

  it("closes the link when a peer reuses an id that is still in flight", async () => {
    const pair = await linkPair({ onRequest: () => new Promise<FrameValue>(() => {}) });
    const frame = encodeFrame({ channel: "blob", id: 7, type: "get", body: null });
    pair.clientStream.write(Buffer.concat([frame, frame]));
    await expect(pair.serverLink.closedReason).resolves.toMatchObject({ code: "FRAME_MALFORMED" });
    await pair.close();
  });

  it("refuses to send a request typed like a reply", async () => {
    const pair = await linkPair({ onRequest: () => "x" });
    await expect(pair.clientLink.request("nats", "ok", null)).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await pair.close();
  });

  it("delivers one-way messages without a reply", async () => {
    const seen: FrameValue[] = [];
    const pair = await linkPair({ onMessage: (frame) => seen.push(frame.body) });
    expect(pair.clientLink.send("log", "entry", { message: "hi" })).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual([{ message: "hi" }]);
    await pair.close();
  });

  it("delivers a burst written in one tick completely and in order, across its corked slices", async () => {
    // Prepare
    const burst = MAX_CORKED_FRAMES * 3 + 5;
    const seen: FrameValue[] = [];
    const pair = await linkPair({ onMessage: (frame) => seen.push(frame.body) });

    // Act: every message in the same tick
    for (let n = 0; n < burst; n += 1) pair.clientLink.send("log", "entry", { n });
    for (let i = 0; i < 1_000 && seen.length < burst; i += 1) await new Promise((r) => setTimeout(r, 5));

    // Assess
    expect(seen).toEqual(Array.from({ length: burst }, (_, n) => ({ n })));
    await pair.close();
  });

  it("shutdown lets in-flight requests finish, refuses new ones, then closes", async () => {
    const pair = await linkPair({ onRequest: () => new Promise((r) => setTimeout(() => r("finished"), 50)) });
    const inFlight = pair.clientLink.request("blob", "put", null);
    await new Promise((r) => setTimeout(r, 10));
    const shutdown = pair.serverLink.shutdown(5_000);
    const refused = pair.clientLink.request("blob", "put", null).catch((e: VettidError) => e.code);
    await expect(inFlight).resolves.toBe("finished");
    await expect(refused).resolves.toBe("CHANNEL_CLOSED");
    await shutdown;
    expect(pair.serverLink.isOpen).toBe(false);
    await pair.close();
  });

  it("refuses to reply with a frame above the limit and says PAYLOAD_TOO_LARGE", async () => {
    const pair = await linkPair({ maxFrameBytes: 1024, onRequest: () => new Uint8Array(4096) });
    await expect(pair.clientLink.request("blob", "get", null)).rejects.toMatchObject({ code: "PAYLOAD_TOO_LARGE" });
    await pair.close();
  });
});
