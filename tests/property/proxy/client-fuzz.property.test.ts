/**
 * Invariant 2 from the enclave's side: a hostile proxy sends random, well-formed and
 * mutated frames after a normal attestation. The enclave-side client must never throw
 * out of its event handlers, must drop what it cannot parse, and must come back
 * (reconnect, re-subscribe) and work once the proxy behaves again.
 */
import { randomBytes } from "node:crypto";
import type { Duplex } from "node:stream";
import fc from "fast-check";
import { FrameLink, unixSocketTransport } from "../../../lib/frame-link";
import { CHANNELS, encodeFrame, type FrameValue } from "../../../lib/frames";
import { ProxyClient } from "../../../lib/proxy-client";
import { socketPath } from "../../unit/proxy/fakes";

const RUNS = 80;
const FRAMES_PER_RUN = 40;
const TYPES = ["msg", "ready", "attest", "ping", "ok", "error", "subscribe"];
const FIELDS = ["sid", "subject", "reply", "data", "nonce", "code", "message", "version"];

const value: fc.Arbitrary<FrameValue> = fc.oneof(
  fc.constant(null),
  fc.integer({ min: -2, max: 5 }),
  fc.string({ maxLength: 20 }),
  fc.uint8Array({ maxLength: 40 }),
  fc.array(fc.integer(), { maxLength: 3 }),
);
const body = fc.oneof(value, fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 5 }));
const frame = fc
  .record({
    channel: fc.constantFrom(...CHANNELS),
    id: fc.integer({ min: 0, max: 6 }),
    type: fc.constantFrom(...TYPES),
    body,
  })
  .map((f) => encodeFrame(f));
const mutated = fc.tuple(frame, fc.nat(), fc.integer({ min: 1, max: 255 })).map(([bytes, at, x]) => {
  const out = Buffer.from(bytes);
  out[at % out.length] = (out[at % out.length] as number) ^ x;
  return out;
});
const anyFrame = fc.oneof({ weight: 5, arbitrary: frame }, { weight: 1, arbitrary: mutated });

describe("enclave-side client against a hostile proxy", () => {
  it(`drops ${RUNS * FRAMES_PER_RUN} hostile frames safely and recovers`, async () => {
    // Prepare: a fake proxy that attests the client normally, then misbehaves
    const path = socketPath("hostile");
    const transport = unixSocketTransport(path);
    const waiting: ((stream: Duplex) => void)[] = [];
    const arrived: Duplex[] = [];
    const listener = await transport.listen((stream) => {
      const next = waiting.shift();
      if (next) next(stream);
      else arrived.push(stream);
    });
    const nextConnection = () =>
      new Promise<Duplex>((resolve) => {
        const ready = arrived.shift();
        if (ready) resolve(ready);
        else waiting.push(resolve);
      });
    const behave = async (stream: Duplex, onRequest = (): FrameValue => null) => {
      const link = new FrameLink(stream, { onRequest });
      await link.request("control", "attest", { nonce: new Uint8Array(randomBytes(32)) }, 5_000);
      link.send("control", "ready", { pcr0: "00" });
      return link;
    };
    const client = new ProxyClient({
      transport,
      attest: async () => new Uint8Array([1]),
      reconnect: { initialDelayMs: 2, maxDelayMs: 10 },
      readyTimeoutMs: 5_000,
    });
    client.start();
    let delivered = 0;
    const first = await behave(await nextConnection());
    await client.ready(5_000);
    await client.nats.subscribe("vettid.v1.vault.v.req.*", () => {
      delivered += 1;
    });
    first.close();

    // Act: every run, a fresh connection that attests and then sends hostile frames
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(anyFrame, { minLength: FRAMES_PER_RUN, maxLength: FRAMES_PER_RUN }), async (frames) => {
        const stream = await nextConnection();
        const link = await behave(stream);
        await new Promise((r) => setTimeout(r, 2));
        stream.write(Buffer.concat(frames));
        sent += frames.length;
        await link.request("health", "ping", null, 1_000).catch(() => undefined);
        link.close();
      }),
      { numRuns: RUNS, seed: 5, endOnFailure: true },
    );

    // Assess: a well-behaved proxy again gets a working, re-subscribed client
    const good = await behave(await nextConnection(), () => ({ data: new Uint8Array([9]), version: '"v1"' }));
    await client.ready(5_000);
    await expect(client.blob.get("vaults/v/state")).resolves.toEqual({ data: new Uint8Array([9]), version: '"v1"' });
    const before = delivered;
    good.send("nats", "msg", { sid: 1, subject: "vettid.v1.vault.v.req.d", reply: null, data: new Uint8Array([1]) });
    await new Promise((r) => setTimeout(r, 20));
    expect(delivered).toBe(before + 1);
    expect(sent).toBeGreaterThanOrEqual(3_000);
    // Most runs end in a fresh attested link; a run whose hostile bytes land before
    // the re-subscription finishes closes that link before it counts as ready.
    expect(client.reconnects).toBeGreaterThanOrEqual(RUNS / 2);

    await client.close(200);
    good.close();
    for (const stream of arrived) stream.destroy();
    await listener.close();
  }, 120_000);
});
