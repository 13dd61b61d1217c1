import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { VettidError } from "../../../lib/errors";
import { FrameLink, unixSocketTransport } from "../../../lib/frame-link";
import { LENGTH_PREFIX_BYTES } from "../../../lib/frames";
import { bombFrameBody, lengthPrefixed } from "../../unit/lib/hostile-cbor";

const MiB = 1024 * 1024;

/**
 * Invariant 2 over a real Unix socket: one 296-byte frame whose value references
 * itself 2^30 times used to block the event loop and exhaust the heap of any process
 * running a FrameLink. Now the strict pre-pass refuses it before cbor-x expands it.
 */
describe("FrameLinks on one server, one connection sending a shared-reference bomb", () => {
  it("closes that connection FRAME_MALFORMED and keeps the process and the other connection serving", async () => {
    // Prepare: one listening server with a FrameLink per accepted connection, and an honest client
    const transport = unixSocketTransport(join(mkdtempSync(join(tmpdir(), "strict-cbor-")), "link.sock"));
    const serverLinks: FrameLink[] = [];
    const listener = await transport.listen((stream) => {
      serverLinks.push(new FrameLink(stream, { onRequest: (frame) => ({ echo: frame.body }) }));
    });
    const honest = new FrameLink(await transport.connect());
    await expect(honest.request("nats", "echo", { n: 1 })).resolves.toEqual({ echo: { n: 1 } });
    const attacker = await transport.connect();
    attacker.on("error", () => {});
    const attackerClosed = new Promise<void>((resolve) => attacker.once("close", () => resolve()));
    while (serverLinks.length < 2) await new Promise((resolve) => setImmediate(resolve));
    const [honestSide, attackedSide] = serverLinks as [FrameLink, FrameLink];
    const bomb = lengthPrefixed(bombFrameBody(30, 0));
    const heapBefore = process.memoryUsage().heapUsed;

    // Act
    attacker.write(bomb);
    const reason: VettidError | undefined = await attackedSide.closedReason;
    await attackerClosed;
    const reply = await honest.request("nats", "echo", { after: "the bomb" });

    // Assess
    expect(bomb.length).toBe(LENGTH_PREFIX_BYTES + 292);
    expect(reason).toMatchObject({ code: "FRAME_MALFORMED" });
    expect((reason?.cause as { reason?: string } | undefined)?.reason).toBe("tag_not_allowed");
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * MiB);
    expect(reply).toEqual({ echo: { after: "the bomb" } });
    expect(honestSide.isOpen).toBe(true);
    expect(attackedSide.counters.errors).toBe(1);

    honest.close();
    await honestSide.closedReason;
    await listener.close();
  });
});
