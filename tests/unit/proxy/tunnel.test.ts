/**
 * The `tunnel` channel on both sides of a real proxy link (Unix socket, fake
 * attestation): byte streams to the one allow-listed upstream, with flow control and
 * limits, and the host's credentials only for an attested enclave.
 */
import { createServer, type Server, Socket } from "node:net";
import { unixSocketTransport } from "../../../lib/frame-link";
import { ProxyClient } from "../../../lib/proxy-client";
import { MAX_TUNNELS } from "../../../lib/proxy-protocol";
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
} from "./fakes";

const APPROVED = "aa".repeat(48);
const credentials = { accessKeyId: "AKIDHOST", secretAccessKey: "host-secret", sessionToken: "token" };

async function echoUpstream(): Promise<{ server: Server; port: number; received: Buffer[] }> {
  const received: Buffer[] = [];
  const server = createServer((socket) => {
    socket.on("data", (chunk) => {
      received.push(chunk);
      socket.write(chunk);
    });
    socket.on("end", () => socket.end());
    socket.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return { server, port: (server.address() as { port: number }).port, received };
}

interface SetupOptions {
  attested?: boolean;
  withTarget?: boolean;
  natsIdleTimeoutMs?: number;
  /** The proxy's upstream connections never complete (a tunnel stays opening). */
  hangingConnect?: boolean;
}

async function setup(options: SetupOptions = {}) {
  const upstream = await echoUpstream();
  const kms = { host: "127.0.0.1", port: upstream.port };
  const nats =
    options.natsIdleTimeoutMs === undefined ? {} : { nats: { ...kms, idleTimeoutMs: options.natsIdleTimeoutMs } };
  const path = socketPath("tunnel");
  const proxy = new VsockProxy({
    transport: unixSocketTransport(path),
    verifier: fakeVerifier([APPROVED]),
    nats: memoryNats(),
    tunnels: options.withTarget === false ? {} : { kms, ...nats },
    ...(options.hangingConnect ? { tunnelConnect: () => new Socket() } : {}),
    credentials: async () => credentials,
    blob: memoryBlobStore(),
    served: staticServedVaults(["vault-1"]),
    logger: recordingLogger(),
    metrics: recordingMetrics(),
  });
  await proxy.start();
  const client = new ProxyClient({
    transport: unixSocketTransport(path),
    attest: async ({ nonce }) => fakeDocument(options.attested === false ? "bb".repeat(48) : APPROVED, nonce),
    reconnect: { initialDelayMs: 5, maxDelayMs: 20 },
    readyTimeoutMs: 2_000,
  });
  client.start();
  return {
    proxy,
    client,
    upstream,
    async stop() {
      await client.close(500);
      await proxy.stop(500);
      await new Promise<void>((resolve) => upstream.server.close(() => resolve()));
    },
  };
}

function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => resolve(Buffer.concat(chunks)));
    stream.on("error", reject);
  });
}

describe("tunnel channel", () => {
  it("carries bytes both ways, larger than one chunk, and half-closes cleanly", async () => {
    // Prepare
    const t = await setup();
    await t.client.ready(2_000);
    const payload = Buffer.alloc(300 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = i % 251;

    // Act
    const stream = await t.client.tunnel.open("kms");
    const echoed = readAll(stream);
    stream.end(payload);

    // Assess
    expect((await echoed).equals(payload)).toBe(true);
    expect(Buffer.concat(t.upstream.received).equals(payload)).toBe(true);
    await new Promise((r) => setImmediate(r));
    expect(t.client.tunnel.openCount).toBe(0);
    await t.stop();
  });

  it("refuses an upstream the host has no address for, and more tunnels than the limit", async () => {
    // Prepare
    const none = await setup({ withTarget: false });
    await none.client.ready(2_000);
    const t = await setup();
    await t.client.ready(2_000);

    // Act
    const refused = none.client.tunnel.open("kms");
    const open = await Promise.all(Array.from({ length: MAX_TUNNELS }, () => t.client.tunnel.open("kms")));
    const beyond = t.client.tunnel.open("kms");

    // Assess
    await expect(refused).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(beyond).rejects.toMatchObject({ code: "OVERLOADED" });
    expect(open).toHaveLength(MAX_TUNNELS);
    for (const stream of open) stream.destroy();
    await none.stop();
    await t.stop();
  });

  it("refuses a nats tunnel on a host that configured no NATS target", async () => {
    // Prepare
    const t = await setup();
    await t.client.ready(2_000);

    // Act
    const refused = t.client.tunnel.open("nats");
    const kms = await t.client.tunnel.open("kms");

    // Assess
    await expect(refused).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(t.client.tunnel.openCount).toBe(1);
    kms.destroy();
    await t.stop();
  });

  it("closes an idle tunnel after its target's own idle time, not the default", async () => {
    // Prepare: the bridge default is a minute; the NATS target says 100 ms
    const t = await setup({ natsIdleTimeoutMs: 100 });
    await t.client.ready(2_000);
    const nats = await t.client.tunnel.open("nats");
    const kms = await t.client.tunnel.open("kms");
    const kmsErrors: unknown[] = [];
    kms.on("error", (err) => kmsErrors.push(err));

    // Act
    const closed = await new Promise<NodeJS.ErrnoException>((resolve) => nats.once("error", resolve));

    // Assess
    expect(closed.code).toBe("ECONNRESET");
    expect(kms.destroyed).toBe(false);
    expect(kmsErrors).toEqual([]);
    kms.destroy();
    await t.stop();
  });

  it("hands the instance credentials only to an attested enclave", async () => {
    // Prepare
    const t = await setup();
    await t.client.ready(2_000);
    const rogue = await setup({ attested: false });

    // Act
    const given = await t.client.awsCredentials();
    const refused = rogue.client.awsCredentials();

    // Assess
    expect(given).toEqual(credentials);
    await expect(refused).rejects.toMatchObject({ code: "CHANNEL_CLOSED" });
    await t.stop();
    await rogue.stop();
  });

  it("fails a tunnel still opening when the link drops, with nothing left to throw later", async () => {
    // Prepare: the host never connects the upstream, so the open is pending
    const t = await setup({ hangingConnect: true });
    await t.client.ready(2_000);
    const opening = t.client.tunnel.open("kms");
    const refused = expect(opening).rejects.toMatchObject({ code: "CHANNEL_CLOSED" });
    await new Promise((r) => setTimeout(r, 50));
    expect(t.client.tunnel.openCount).toBe(1);

    // Act
    await t.proxy.stop(10);

    // Assess: the open fails with the link's error; no stream error is left unheard
    await refused;
    expect(t.client.tunnel.openCount).toBe(0);
    await new Promise((r) => setTimeout(r, 50));
    await t.stop();
  });

  it("ends every tunnel with a connection reset when the link drops", async () => {
    // Prepare
    const t = await setup();
    await t.client.ready(2_000);
    const stream = await t.client.tunnel.open("kms");
    const failed = new Promise<NodeJS.ErrnoException>((resolve) => stream.once("error", resolve));

    // Act
    await t.proxy.stop(10);

    // Assess
    expect((await failed).code).toBe("ECONNRESET");
    await t.stop();
  });
});
