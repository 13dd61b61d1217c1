/**
 * Fuzzes the proxy's enclave-facing socket with more than 10,000 random, well-formed
 * and mutated frames over many connections, before and after attestation, while a
 * well-behaved enclave keeps working on its own connection. The proxy must never
 * crash, must close only the offending connection, and must keep serving the others.
 */
import type { Duplex } from "node:stream";
import fc from "fast-check";
import { FrameLink, unixSocketTransport } from "../../../lib/frame-link";
import { CHANNELS, encodeFrame, type FrameValue } from "../../../lib/frames";
import { ProxyClient } from "../../../lib/proxy-client";
import { blobKey } from "../../../lib/proxy-protocol";
import { vaultRequestSubject, vaultRequestWildcard } from "../../../lib/subjects";
import { staticServedVaults } from "../../../vsock-proxy/policy";
import { VsockProxy } from "../../../vsock-proxy/proxy";
import {
  fakeDocument,
  fakeVerifier,
  memoryBlobStore,
  memoryNats,
  recordingLogger,
  recordingMetrics,
  socketPath,
  unusedCredentials,
} from "../../unit/proxy/fakes";

const PCR0 = "ab".repeat(48);
const VAULT = "fuzz-vault";
const RUNS = 220;
const FRAMES_PER_RUN = 50;

const OPS = [
  "attest",
  "ready",
  "subscribe",
  "unsubscribe",
  "publish",
  "request",
  "msg",
  "generate-data-key",
  "decrypt",
  "get",
  "put",
  "delete",
  "entry",
  "ping",
  "ok",
  "error",
];
const FIELDS = [
  "sid",
  "subject",
  "data",
  "reply",
  "timeoutMs",
  "key",
  "expectedVersion",
  "keyId",
  "attestation",
  "ciphertextBlob",
  "numberOfBytes",
  "encryptionContext",
  "level",
  "message",
  "fields",
  "name",
  "unit",
  "value",
  "document",
  "nonce",
  "code",
];

const frameValue: fc.Arbitrary<FrameValue> = fc.letrec<{ value: FrameValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.string({ maxLength: 40 }),
    fc.constantFrom(
      vaultRequestWildcard(VAULT),
      vaultRequestSubject(VAULT, "d"),
      blobKey(VAULT, "s"),
      "vettid.v1.>",
      "vettid.v1.inbox.d.x",
    ),
    fc.uint8Array({ maxLength: 64 }),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), fc.string({ maxLength: 8 })), tie("value"), { maxKeys: 5 }),
  ),
})).value;

/** A structurally valid frame with hostile contents. */
const validFrame = fc
  .record({
    channel: fc.constantFrom(...CHANNELS),
    id: fc.oneof(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 0xffff_ffff })),
    type: fc.oneof(fc.constantFrom(...OPS), fc.stringMatching(/^[a-z][a-z0-9_.-]{0,31}$/)),
    body: fc.oneof(frameValue, fc.dictionary(fc.constantFrom(...FIELDS), frameValue, { maxKeys: 6 })),
  })
  .map((frame) => encodeFrame(frame));

/** A valid frame with bytes flipped, cut, its length prefix changed, or garbage appended. */
const mutatedFrame = fc
  .tuple(
    validFrame,
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
    fc.nat(3),
  )
  .map(([bytes, flips, mode]) => {
    const out = Buffer.from(bytes);
    if (mode === 0) for (const [at, x] of flips) out[at % out.length] = (out[at % out.length] as number) ^ x;
    if (mode === 1) return out.subarray(0, (flips[0]?.[0] ?? 0) % out.length);
    if (mode === 2) out.writeUInt32BE((flips[0]?.[0] ?? 0) % 0x2000000, 0);
    if (mode === 3) return Buffer.concat([out, Buffer.from(flips.map(([, x]) => x))]);
    return out;
  });

const garbage = fc.uint8Array({ minLength: 1, maxLength: 96 }).map((b) => Buffer.from(b));

const anyFrame = fc.oneof(
  { weight: 4, arbitrary: validFrame },
  { weight: 4, arbitrary: mutatedFrame },
  { weight: 1, arbitrary: garbage },
);

describe("proxy fuzz (enclave-facing socket)", () => {
  it(`survives ${RUNS * FRAMES_PER_RUN} random and mutated frames and keeps serving a good enclave`, async () => {
    // Prepare: a proxy with in-memory upstreams and a well-behaved enclave
    const path = socketPath("fuzz");
    const nats = memoryNats();
    const proxy = new VsockProxy({
      transport: unixSocketTransport(path),
      verifier: fakeVerifier([PCR0]),
      nats,
      tunnels: {},
      credentials: unusedCredentials,
      blob: memoryBlobStore(),
      served: staticServedVaults([VAULT]),
      logger: recordingLogger(),
      metrics: recordingMetrics(),
      maxConnections: 64,
    });
    await proxy.start();
    const good = new ProxyClient({
      transport: unixSocketTransport(path),
      attest: async ({ nonce }) => fakeDocument(PCR0, nonce),
    });
    good.start();
    await good.ready(10_000);
    let delivered = 0;
    await good.nats.subscribe(vaultRequestWildcard(VAULT), () => {
      delivered += 1;
    });
    const transport = unixSocketTransport(path);
    let framesSent = 0;
    let closedByProxy = 0;

    // Act + Assess, run by run
    await fc.assert(
      fc.asyncProperty(
        fc.array(anyFrame, { minLength: FRAMES_PER_RUN, maxLength: FRAMES_PER_RUN }),
        fc.boolean(),
        async (frames, attestFirst) => {
          const stream: Duplex = await transport.connect();
          const link = new FrameLink(stream, {
            onRequest: (frame) => {
              const nonce = (frame.body as { nonce?: Uint8Array }).nonce ?? new Uint8Array();
              return { document: attestFirst ? fakeDocument(PCR0, nonce) : new Uint8Array([1, 2, 3]) };
            },
          });
          if (attestFirst) await new Promise((r) => setTimeout(r, 5));
          stream.write(Buffer.concat(frames));
          framesSent += frames.length;
          // Either the proxy answers a ping on this connection or it has closed it.
          const outcome = await link.request("health", "ping", null, 2_000).then(
            () => "open",
            (err: { code?: string }) => err.code,
          );
          if (outcome === "CHANNEL_CLOSED") closedByProxy += 1;
          link.close();

          // The good enclave is untouched and still fully served.
          expect(good.currentState).toBe("ready");
          expect(good.reconnects).toBe(0);
          await expect(good.ping()).resolves.toMatchObject({ status: "ok" });
        },
      ),
      { numRuns: RUNS, seed: 20261128, endOnFailure: true },
    );

    // The good enclave still does real work end to end.
    const key = blobKey(VAULT, "after-fuzz");
    const version = await good.blob.put(key, new Uint8Array([7]), null);
    await expect(good.blob.get(key)).resolves.toEqual({ data: new Uint8Array([7]), version });
    const before = delivered;
    nats.inject(vaultRequestSubject(VAULT, "dev"), new Uint8Array([1]));
    await new Promise((r) => setTimeout(r, 20));
    expect(delivered).toBe(before + 1);
    expect(framesSent).toBeGreaterThanOrEqual(10_000);
    expect(closedByProxy).toBeGreaterThan(0);
    expect(proxy.counters.errors).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 50));
    expect(proxy.liveSessions.size).toBe(1);

    await good.close(500);
    await proxy.stop(500);
  }, 300_000);
});
